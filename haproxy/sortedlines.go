package haproxy

import (
	"iter"
	"slices"
	"strings"
)

// A map of a socket with 10,000 routes has 10,000 entries, and a route change patches one or two
// of them. Kept as one sorted list, each patch would copy all of them (the configuration that runs
// keeps the list it patched from), the render's largest allocation per change. sortedLines keeps
// them in chunks: a patch copies the list of chunks and the chunks it changes, and shares the rest
// with the version it patched.

// sortedLines are a map file's entries, sorted by key, one per key, in chunks of at most
// 2*linesPerChunk entries, none empty. A value is never changed: a patch makes a new one.
type sortedLines struct {
	chunks []mapLines
	n      int
}

// linesPerChunk is how many entries a chunk gets when the lines are built; a chunk a patch grows
// to twice that is split.
const linesPerChunk = 256

// sortLines makes sortedLines of entries set in any order (see mapLines).
func sortLines(set mapLines) sortedLines {
	entries := set.final()
	s := sortedLines{n: len(entries)}
	for start := 0; start < len(entries); start += linesPerChunk {
		end := min(start+linesPerChunk, len(entries))
		s.chunks = append(s.chunks, entries[start:end:end])
	}
	return s
}

// All yields the entries in key order.
func (s sortedLines) All() iter.Seq[mapLine] {
	return func(yield func(mapLine) bool) {
		for _, c := range s.chunks {
			for _, e := range c {
				if !yield(e) {
					return
				}
			}
		}
	}
}

// same reports whether s and o are the very same lines, without comparing entries: a render
// keeps the lines of a map no change touched.
func (s sortedLines) same(o sortedLines) bool {
	return s.n == o.n && (s.n == 0 || &s.chunks[0] == &o.chunks[0])
}

// chunkOf is the index of the chunk where key is or would be inserted: the last chunk whose first
// key is not after key, else the first chunk.
func (s sortedLines) chunkOf(key string) int {
	i, _ := slices.BinarySearchFunc(s.chunks, key, func(c mapLines, key string) int {
		if c[0].key <= key {
			return -1
		}
		return 1
	})
	return max(i-1, 0)
}

// get is key's value, and whether s has key.
func (s sortedLines) get(key string) (string, bool) {
	if s.n == 0 {
		return "", false
	}
	c := s.chunks[s.chunkOf(key)]
	if i, found := slices.BinarySearchFunc(c, key, compareLineKey); found {
		return c[i].value, true
	}
	return "", false
}

func compareLineKey(e mapLine, key string) int { return strings.Compare(e.key, key) }

// linesPatch makes a new sortedLines from one: its first change copies the list of chunks, and
// each chunk it changes is copied the first time; the others are shared with the lines it started
// from. Until a put changes something, out are those very lines, so that a map no change touched
// stays the same (see same).
type linesPatch struct {
	out sortedLines
	// own[i] is set when chunk i is a copy of this patch's own; own is nil until the first change.
	own []bool
}

func (s sortedLines) patch() *linesPatch { return &linesPatch{out: s} }

// put sets key to value ("" removes it) and returns the edit, false when nothing changed.
func (p *linesPatch) put(key, value string) (mapEdit, bool) {
	e := mapEdit{key: key, now: value, has: value != ""}
	if len(p.out.chunks) == 0 {
		if !e.has {
			return e, false
		}
		p.out.chunks, p.own = []mapLines{{{key, value}}}, []bool{true}
		p.out.n = 1
		return e, true
	}
	ci := p.out.chunkOf(key)
	c := p.out.chunks[ci]
	i, found := slices.BinarySearchFunc(c, key, compareLineKey)
	if found {
		e.old, e.had = c[i].value, true
	}
	if e.had && e.has && e.old == e.now || !e.had && !e.has {
		return e, false
	}
	if p.own == nil {
		p.out.chunks, p.own = slices.Clone(p.out.chunks), make([]bool, len(p.out.chunks))
	}
	if !p.own[ci] {
		c = append(make(mapLines, 0, len(c)+1), c...)
		p.own[ci] = true
	}
	switch {
	case e.had && e.has:
		c[i].value = value
	case e.had:
		c = slices.Delete(c, i, i+1)
		p.out.n--
	default:
		c = slices.Insert(c, i, mapLine{key, value})
		p.out.n++
	}
	switch {
	case len(c) == 0:
		p.out.chunks = slices.Delete(p.out.chunks, ci, ci+1)
		p.own = slices.Delete(p.own, ci, ci+1)
	case len(c) > 2*linesPerChunk:
		// Both halves are copies of their own: the next put into either may grow it in place.
		half := len(c) / 2
		first, second := slices.Clone(c[:half]), slices.Clone(c[half:])
		p.out.chunks = slices.Insert(p.out.chunks, ci+1, second)
		p.out.chunks[ci] = first
		p.own = slices.Insert(p.own, ci+1, true)
	default:
		p.out.chunks[ci] = c
	}
	return e, true
}

// putAll puts each of values ("" removes it), in key order, and returns the edits.
func (p *linesPatch) putAll(values map[string]string) []mapEdit {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	edits := []mapEdit{}
	for _, k := range keys {
		if e, ok := p.put(k, values[k]); ok {
			edits = append(edits, e)
		}
	}
	return edits
}
