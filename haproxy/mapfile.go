package haproxy

import (
	"bufio"
	"io"
	"iter"
	"strings"
	"sync"
)

// A map file of 10,000 entries is half a megabyte. A change of routes patches a few entries of
// each map and gives the runtime API their ops from the render's notes (mapedits.go), so the
// render keeps a map file's entries and makes its bytes only when they are asked for (a read-back
// that shows a small map whole, a plan that compares two files whole). Writing the files, which
// happens beside the next change, streams the entries to disk and compares them entry by entry.

// mapFile is a map file's content, made from its entries at the first call of bytes. The entries
// must not change afterwards.
type mapFile struct {
	entries sortedLines
	part    mapPart
	once    sync.Once
	content []byte
}

// mapPart is which of a hostname lookup's entries a map file holds.
type mapPart int

const (
	// allEntries: every entry, as set.
	allEntries mapPart = iota
	// exactNames: exact hostnames (and "*").
	exactNames
	// wildcardSuffixes: wildcard hostnames, keyed by their suffix with its leading dot
	// (".example.com" for "*.example.com").
	wildcardSuffixes
)

// line is the key the file has for e and whether the file holds it.
func (p mapPart) line(e mapLine) (string, bool) {
	if p == allEntries {
		return e.key, true
	}
	wildcard := strings.HasPrefix(e.key, "*.")
	if p == wildcardSuffixes {
		if !wildcard {
			return "", false
		}
		return e.key[1:], true // ".example.com" of "*.example.com", without a copy
	}
	return e.key, !wildcard
}

func (m *mapFile) bytes() []byte {
	m.once.Do(func() {
		content := make([]byte, 0, m.size(-1))
		for line := range m.lines() {
			content = append(append(append(append(content, line.key...), ' '), line.value...), '\n')
		}
		m.content = content
	})
	return m.content
}

// writeTo writes the file's bytes to w line by line from the entries, so that writing a map file
// of thousands of entries does not make its bytes first.
func (m *mapFile) writeTo(w io.Writer) error {
	b := bufio.NewWriterSize(w, 16<<10)
	for line := range m.lines() {
		b.WriteString(line.key)
		b.WriteByte(' ')
		b.WriteString(line.value)
		b.WriteByte('\n')
	}
	return b.Flush()
}

// sameLines reports whether two map files of the same part have the same lines, comparing entry
// by entry without making their bytes.
func (m *mapFile) sameLines(o *mapFile) bool {
	next, stop := iter.Pull(o.lines())
	defer stop()
	for line := range m.lines() {
		if other, ok := next(); !ok || other != line {
			return false
		}
	}
	_, more := next()
	return !more
}

// lines are the file's lines as key and value.
func (m *mapFile) lines() iter.Seq[mapLine] {
	return func(yield func(mapLine) bool) {
		for e := range m.entries.All() {
			if key, ok := m.part.line(e); ok && !yield(mapLine{key, e.value}) {
				return
			}
		}
	}
}

// size is the length of the file's bytes, without making them; counting stops once it passes
// limit (-1: no limit).
func (m *mapFile) size(limit int) int {
	n := 0
	for line := range m.lines() {
		if n += len(line.key) + len(line.value) + 2; limit >= 0 && n > limit {
			break
		}
	}
	return n
}

// addMap adds a map file of entries.
func addMap(cfg *Config, path string, entries sortedLines) {
	cfg.Files[path] = File{lines: &mapFile{entries: entries}}
	cfg.Maps[path] = true
}

// addMaps adds a hostname lookup's map files of hostname -> value entries: exact names (and "*")
// to one, wildcards to the other keyed by their suffix with its leading dot.
func addMaps(cfg *Config, l lookupData, entries sortedLines) {
	cfg.Files[l.Exact] = File{lines: &mapFile{entries: entries, part: exactNames}}
	cfg.Files[l.Wildcard] = File{lines: &mapFile{entries: entries, part: wildcardSuffixes}}
	cfg.Maps[l.Exact], cfg.Maps[l.Wildcard] = true, true
}
