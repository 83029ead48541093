package haproxy

import (
	"strings"
	"sync"
)

// A map file of 10,000 entries is half a megabyte. A change of routes patches a few entries of
// each map and gives the runtime API their ops from the render's notes (mapedits.go), so the
// render keeps a map file's entries and writes its bytes only when they are asked for: when the
// files are written, which happens beside the next change, or when two files are compared.

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
	suffix, wildcard := strings.CutPrefix(e.key, "*.")
	if p == wildcardSuffixes {
		return "." + suffix, wildcard
	}
	return e.key, !wildcard
}

func (m *mapFile) bytes() []byte {
	m.once.Do(func() {
		content := make([]byte, 0, m.size())
		for e := range m.entries.All() {
			if key, ok := m.part.line(e); ok {
				content = append(append(append(append(content, key...), ' '), e.value...), '\n')
			}
		}
		m.content = content
	})
	return m.content
}

// size is the length of the file's bytes, without making them.
func (m *mapFile) size() int {
	n := 0
	for e := range m.entries.All() {
		if key, ok := m.part.line(e); ok {
			n += len(key) + len(e.value) + 2
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
