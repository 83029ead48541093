package haproxy

import (
	"iter"
	"maps"
)

// ServerLines are the server lines of each route backend, by backend name. A configuration made
// from another for a few changed backends shares the other's lines and holds only its changes, so
// making it costs what changed, not the number of backends; when the changes grow to a share of
// the whole they are folded into lines of its own (foldAbove). Once made it never changes.
type ServerLines struct {
	// shared is never written once built: configurations made from this one read it too.
	shared map[string][]ServerLine
	// changed are the backends set or gone since shared, by name.
	changed map[string]changedLines
	n       int
}

type changedLines struct {
	lines []ServerLine
	gone  bool
}

// newServerLines takes lines over: nothing else may write to it.
func newServerLines(lines map[string][]ServerLine) ServerLines {
	return ServerLines{shared: lines, n: len(lines)}
}

// Get returns a backend's server lines; false when there is no such route backend.
func (s ServerLines) Get(name string) ([]ServerLine, bool) {
	if c, ok := s.changed[name]; ok {
		return c.lines, !c.gone
	}
	lines, ok := s.shared[name]
	return lines, ok
}

// Has reports whether name is a route backend.
func (s ServerLines) Has(name string) bool {
	_, ok := s.Get(name)
	return ok
}

// Len is the number of route backends.
func (s ServerLines) Len() int { return s.n }

// All yields every route backend and its lines, in no order.
func (s ServerLines) All() iter.Seq2[string, []ServerLine] {
	return func(yield func(string, []ServerLine) bool) {
		for name, c := range s.changed {
			if !c.gone && !yield(name, c.lines) {
				return
			}
		}
		for name, lines := range s.shared {
			if _, ok := s.changed[name]; !ok && !yield(name, lines) {
				return
			}
		}
	}
}

// Map is a map of its own of every route backend's lines.
func (s ServerLines) Map() map[string][]ServerLine {
	out := make(map[string][]ServerLine, s.n)
	for name, lines := range s.All() {
		out[name] = lines
	}
	return out
}

// with is s with the lines of set and without the backends named in gone; s stays as it was.
func (s ServerLines) with(set map[string][]ServerLine, gone []string) ServerLines {
	out := ServerLines{shared: s.shared, n: s.n, changed: make(map[string]changedLines, len(s.changed)+len(set)+len(gone))}
	maps.Copy(out.changed, s.changed)
	for name, lines := range set {
		if !s.Has(name) {
			out.n++
		}
		out.changed[name] = changedLines{lines: lines}
	}
	for _, name := range gone {
		if out.Has(name) {
			out.n--
			out.changed[name] = changedLines{gone: true}
		}
	}
	if len(out.changed) > foldAbove(len(out.shared)) {
		return newServerLines(out.Map())
	}
	return out
}

// foldAbove is how many changes lines that share n others keep apart: every later configuration
// copies them, and folding copies all n, so the cost of a change stays a small share of n.
func foldAbove(n int) int { return 64 + n/16 }
