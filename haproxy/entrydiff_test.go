package haproxy

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEntryDiffEqualsEntryOps compares the walk over two map files with the ops read from their
// entries, on random maps as Render writes them (keys of hostname characters, "*" and
// ".suffix"; values backend names, some of which moved to or from a spare), and checks that an
// unsorted file is refused.
func TestEntryDiffEqualsEntryOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	key := func() string {
		parts := []string{"*", "a", "b", "a.b", ".b", "a-b", "a.b.c", "0", "*.a", "b.a", "ab"}
		return parts[rng.IntN(len(parts))] + strings.Repeat(".x", rng.IntN(2))
	}
	values := []string{"tlsroute:ns:a:rule0", "tlsroute:ns:b:rule0", "refused", "to-terminate:ns:gw:443"}
	entries := func() map[string]string {
		m := map[string]string{}
		for range rng.IntN(12) {
			m[key()] = values[rng.IntN(len(values))]
		}
		return m
	}
	file := func(m map[string]string) []byte {
		var lines []string
		for k, v := range m {
			lines = append(lines, k+" "+v+"\n")
		}
		sort.Strings(lines)
		return []byte(strings.Join(lines, ""))
	}
	for i := range 5000 {
		oldSpares, nowSpares := map[string]string{}, map[string]string{}
		if rng.IntN(2) == 0 {
			oldSpares["tlsroute:ns:a:rule0"] = "spare:0"
		}
		if rng.IntN(2) == 0 {
			nowSpares["tlsroute:ns:a:rule0"] = "spare:1"
		}
		old, now := file(entries()), file(entries())
		up, del, ok := entryDiff("m", old, now, oldSpares, nowSpares)
		if !ok {
			t.Fatalf("case %d: sorted files refused:\n%s\n%s", i, old, now)
		}
		wantUp, wantDel := entryOps("m", mapEntries(old, oldSpares), mapEntries(now, nowSpares))
		if diff := cmp.Diff(append(wantUp, wantDel...), append(up, del...)); diff != "" {
			t.Fatalf("case %d (-entries +walk):\n%s\nold:\n%s\nnow:\n%s", i, diff, old, now)
		}
	}
	if _, _, ok := entryDiff("m", []byte("b x\na x\n"), nil, nil, nil); ok {
		t.Error("an unsorted file was walked")
	}
}
