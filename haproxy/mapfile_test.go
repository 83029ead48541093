package haproxy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestMapFileWrittenAndComparedAsItsBytes holds what the file writer does without making a map
// file's bytes, writing it line by line, comparing two files entry by entry and measuring one, to
// its bytes: for
// each part of a hostname lookup, for files built with the same lines in other chunks, and for
// files one patch apart.
func TestMapFileWrittenAndComparedAsItsBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var entries mapLines
	for i := range 3 * linesPerChunk {
		key := fmt.Sprintf("h%04d.example.com", i)
		if i%3 == 0 {
			key = "*." + key
		}
		entries.set(key, fmt.Sprintf("tlsroute:default:r%d:rule0", i))
	}
	lines := sortLines(entries)
	// The same lines in chunks of other sizes: every key taken out and put back in.
	rechunked := lines.patch()
	for e := range lines.All() {
		rechunked.put(e.key, "")
	}
	for e := range lines.All() {
		rechunked.put(e.key, e.value)
	}
	for _, part := range []mapPart{allEntries, exactNames, wildcardSuffixes} {
		file := &mapFile{entries: lines, part: part}
		var written bytes.Buffer
		if err := file.writeTo(&written); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(written.Bytes(), file.bytes()) {
			t.Fatalf("part %d: written line by line:\n%s\nwant:\n%s", part, written.Bytes(), file.bytes())
		}
		f, size := File{lines: file}, len(file.bytes())
		for _, limit := range []int{0, size / 2, size - 1, size, size + 1} {
			if got, want := f.SizeAtMost(limit), size <= limit; got != want {
				t.Errorf("part %d: a file of %d bytes is at most %d bytes: %t, want %t", part, size, limit, got, want)
			}
		}
		if f.Size() != size {
			t.Errorf("part %d: size %d, want %d", part, f.Size(), size)
		}
		others := map[string]sortedLines{"the same lines": lines, "the same lines in other chunks": rechunked.out}
		for i := range 20 {
			e := entries[rng.IntN(len(entries))]
			patch := lines.patch()
			switch i % 3 {
			case 0:
				patch.put(e.key, "")
			case 1:
				patch.put(e.key, "spare:0")
			default:
				patch.put(fmt.Sprintf("*.new%d.example.com", i), "spare:1")
			}
			others[fmt.Sprintf("patch %d", i)] = patch.out
		}
		for name, other := range others {
			o := &mapFile{entries: other, part: part}
			want := bytes.Equal(file.bytes(), o.bytes())
			if got := file.sameLines(o); got != want {
				t.Errorf("part %d, %s: same lines %t, same bytes %t", part, name, got, want)
			}
		}
	}
}
