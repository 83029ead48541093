package haproxy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSortedLinesPatchEqualsRebuild puts random keys in and out of sorted lines, a few per patch
// over many patches, so that chunks are split and emptied, and holds every version to the
// entries built from nothing, and every earlier version to what it was: a patch shares chunks
// and must never change the lines it started from.
func TestSortedLinesPatchEqualsRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]string{}
	lines := sortLines(nil)
	type version struct {
		lines sortedLines
		want  []mapLine
	}
	var versions []version
	for round := range 400 {
		values := map[string]string{}
		for range 1 + rng.IntN(2*linesPerChunk) {
			key := fmt.Sprintf("k%05d", rng.IntN(4*linesPerChunk))
			values[key] = ""
			if rng.IntN(3) > 0 {
				values[key] = fmt.Sprintf("v%d", round)
			}
		}
		patch := lines.patch()
		edits := patch.putAll(values)
		for _, e := range edits {
			if before, had := want[e.key]; had != e.had || before != e.old && had {
				t.Fatalf("round %d: edit %+v, but the lines held %q (present: %t)", round, e, before, had)
			}
		}
		for key, value := range values {
			if value == "" {
				delete(want, key)
			} else {
				want[key] = value
			}
		}
		lines = patch.out
		if diff := cmp.Diff(rebuilt(want), slices.Collect(lines.All()), cmp.AllowUnexported(mapLine{})); diff != "" {
			t.Fatalf("round %d: patched lines differ from rebuilt ones (-rebuilt +patched):\n%s", round, diff)
		}
		if lines.n != len(want) {
			t.Fatalf("round %d: %d entries counted, want %d", round, lines.n, len(want))
		}
		for _, c := range lines.chunks {
			if len(c) == 0 || len(c) > 2*linesPerChunk {
				t.Fatalf("round %d: a chunk of %d entries", round, len(c))
			}
		}
		for _, key := range slices.Sorted(maps.Keys(values)) {
			if value, found := lines.get(key); found != (want[key] != "") || value != want[key] {
				t.Fatalf("round %d: get(%s) = %q, %t; want %q", round, key, value, found, want[key])
			}
		}
		versions = append(versions, version{lines, rebuilt(want)})
	}
	for i, v := range versions {
		if diff := cmp.Diff(v.want, slices.Collect(v.lines.All()), cmp.AllowUnexported(mapLine{})); diff != "" {
			t.Fatalf("version %d changed after later patches (-then +now):\n%s", i, diff)
		}
	}
}

// rebuilt are the entries of m as sortLines builds them from nothing.
func rebuilt(m map[string]string) []mapLine {
	var entries mapLines
	for key, value := range m {
		entries.set(key, value)
	}
	return slices.Collect(sortLines(entries).All())
}

func TestSortedLinesSame(t *testing.T) {
	var entries mapLines
	for i := range 3 * linesPerChunk {
		entries.set(fmt.Sprintf("k%05d", i), "v")
	}
	lines := sortLines(entries)
	if !lines.same(lines) {
		t.Error("lines are not the same as themselves")
	}
	unchanged := lines.patch()
	if _, changed := unchanged.put("k00001", "v"); changed {
		t.Error("putting the value a key has changed the lines")
	}
	changed := lines.patch()
	changed.put("k00001", "w")
	if !lines.same(unchanged.out) {
		t.Error("lines a patch did not change are not the same as before")
	}
	if lines.same(changed.out) {
		t.Error("patched lines are the same as those they were patched from")
	}
	if !sortLines(nil).same(sortLines(mapLines{})) {
		t.Error("empty lines are not the same")
	}
}
