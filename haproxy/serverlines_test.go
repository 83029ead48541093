package haproxy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServerLinesEqualsAMap makes lines from lines, as configurations are made from the one
// before, through enough changes to fold several times, and checks every one against a plain map
// kept beside it, and that none of the earlier ones changed.
func TestServerLinesEqualsAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	name := func() string { return fmt.Sprintf("tlsroute:ns:r%03d:rule0", rng.IntN(300)) }
	want := map[string][]ServerLine{}
	for range 200 {
		want[name()] = []ServerLine{{Name: "s", Address: "10.0.0.1:80"}}
	}
	got := newServerLines(maps.Clone(want))
	type kept struct {
		lines ServerLines
		want  map[string][]ServerLine
	}
	var earlier []kept
	for step := range 600 {
		set, gone := map[string][]ServerLine{}, []string{}
		for range rng.IntN(4) {
			set[name()] = []ServerLine{{Name: "s", Address: fmt.Sprintf("10.0.%d.%d:80", step/250, step%250)}}
		}
		for range rng.IntN(3) {
			if n := name(); set[n] == nil {
				gone = append(gone, n)
			}
		}
		got = got.with(set, gone)
		want = maps.Clone(want)
		maps.Copy(want, set)
		for _, n := range gone {
			delete(want, n)
		}
		if diff := cmp.Diff(want, got.Map()); diff != "" || got.Len() != len(want) {
			t.Fatalf("step %d: Len %d, want %d; (-want +got):\n%s", step, got.Len(), len(want), diff)
		}
		for n := range 300 {
			key := fmt.Sprintf("tlsroute:ns:r%03d:rule0", n)
			lines, ok := got.Get(key)
			if w, wok := want[key]; ok != wok || !cmp.Equal(lines, w) {
				t.Fatalf("step %d: Get(%s) = %v, %v; want %v, %v", step, key, lines, ok, w, wok)
			}
		}
		if step%50 == 0 {
			earlier = append(earlier, kept{got, want})
		}
	}
	for i, k := range earlier {
		if diff := cmp.Diff(k.want, k.lines.Map()); diff != "" {
			t.Errorf("lines %d changed after later ones were made from them (-want +got):\n%s", i, diff)
		}
	}
}
