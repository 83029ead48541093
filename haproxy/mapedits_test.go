package haproxy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestPatchedMapsEqualRender changes the SNI routes of a socket at random (routes added, removed,
// moved to another backend, between Passthrough and Terminate, on names that listeners and HTTPS
// also claim, wildcards included) and renders each step from the one before: the files must be
// those of a render from nothing, and the map ops taken from the render's notes those found by
// comparing the files.
func TestPatchedMapsEqualRender(t *testing.T) {
	names := []string{"*", "*.example.com", "*.a.example.com", "a.example.com", "b.example.com", "c.example.com",
		"secure.example.com", "www.example.com", "x.test", "*.test"}
	backends := []string{"one", "two", "three"}
	id := func(name string) model.BackendID {
		return model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: name}
	}
	patched, fromNotes, unorderedRenders := 0, 0, 0
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 2))
		sock := model.Socket{Address: "10.0.0.1", Port: 443, Gateway: "default/gw", Protocol: model.SocketTLS,
			Listeners: []model.ListenerClaim{
				{Listener: "any", Hostname: "*", Mode: model.ListenerPassthrough},
				{Listener: "secure", Hostname: "secure.example.com", Mode: model.ListenerTerminate},
				{Listener: "web", Hostname: "www.example.com", Mode: model.ListenerHTTPS},
			},
			HTTPS: []string{"www.example.com", "x.test"}}
		// routes: hostname -> backend, "t:" in front for Terminate. A route that did not change
		// keeps its entry, as models share the entries a change did not touch.
		routes := map[string]string{}
		entries := map[string]*model.SNIRoute{}
		dataPlane := func() model.DataPlane {
			s := sock
			s.Passthrough, s.Terminate = nil, nil
			used := map[string]bool{}
			for _, h := range slices.Sorted(maps.Keys(routes)) {
				b, terminate := strings.CutPrefix(routes[h], "t:")
				used[b] = true
				e := entries[h+"="+routes[h]]
				if e == nil {
					e = &model.SNIRoute{Hostname: h, Backend: id(b)}
					entries[h+"="+routes[h]] = e
				}
				if terminate {
					s.Terminate = append(s.Terminate, e)
				} else {
					s.Passthrough = append(s.Passthrough, e)
				}
			}
			dp := model.DataPlane{Sockets: []model.Socket{s}}
			for _, b := range slices.Sorted(maps.Keys(used)) {
				dp.Backends = append(dp.Backends, &model.Backend{ID: id(b)})
			}
			return dp
		}
		prev, err := Render(dataPlane(), goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		spares := map[string]string{}
		for step := range 40 {
			for range 1 + rng.IntN(3) {
				h := names[rng.IntN(len(names))]
				switch rng.IntN(3) {
				case 0:
					delete(routes, h)
				case 1:
					routes[h] = backends[rng.IntN(len(backends))]
				default:
					routes[h] = "t:" + backends[rng.IntN(len(backends))]
				}
			}
			dp := dataPlane()
			// Now and then two neighbours out of order: a model like that is rendered whole,
			// never patched (a patch looks hostnames up by binary search).
			unordered := swapNeighbours(rng, dp.Sockets[0].Passthrough)
			got := renderPatched(t, prev, dp, fmt.Sprintf("seed %d step %d", seed, step))
			switch {
			case unordered && got.socketMaps[socketID(dp.Sockets[0])].ordered:
				// (A patch always gives maps taken as in order.)
				t.Fatalf("seed %d step %d: a socket whose routes are out of order was patched or taken as in order", seed, step)
			case unordered:
				unorderedRenders++
			case len(got.mapEdits) > 0:
				patched++
			}
			// New backends get a spare at random, as the plan gives them; now and then one that
			// was there gets one too, which no plan does.
			now := map[string]string{}
			for _, b := range dp.Backends {
				name := backendName(b.ID)
				existed := prev.Servers.Has(name)
				if s, ok := spares[name]; ok || rng.IntN(2) == 0 && (!existed || rng.IntN(10) == 0) {
					if !ok {
						s = fmt.Sprintf("spare:%d", step)
					}
					now[name] = s
				}
			}
			if got.editedFrom == prev.id && onlyNewOrGone(movedBackends(spares, now), prev, got) {
				fromNotes++
			}
			compared := *got
			compared.editedFrom = 0
			if edits, files := mapOps(prev, got, spares, now), mapOps(prev, &compared, spares, now); !cmp.Equal(edits, files) {
				t.Fatalf("seed %d step %d: ops from the render's notes differ from those of the files (-files +notes):\n%s",
					seed, step, cmp.Diff(files, edits))
			}
			prev, spares = got, now
		}
	}
	if patched == 0 || fromNotes == 0 || unorderedRenders == 0 {
		t.Fatalf("%d renders patched their maps, %d plans took ops from the notes, %d rendered routes out of order: want some of each",
			patched, fromNotes, unorderedRenders)
	}
	t.Logf("%d renders patched their maps, %d plans took ops from the notes, %d rendered routes out of order", patched, fromNotes, unorderedRenders)
}

// swapNeighbours puts two neighbours of list out of order one time in 8, and says whether it did.
func swapNeighbours[T any](rng *rand.Rand, list []T) bool {
	if len(list) < 2 || rng.IntN(8) != 0 {
		return false
	}
	i := rng.IntN(len(list) - 1)
	list[i], list[i+1] = list[i+1], list[i]
	return true
}

// renderPatched renders dp from prev and checks that every file is what a render from nothing
// writes; where names the step in a failure.
func renderPatched(t *testing.T, prev *Config, dp model.DataPlane, where string) *Config {
	t.Helper()
	got, err := renderFrom(prev, dp, goldenSettings)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(dp, goldenSettings)
	if err != nil {
		t.Fatal(err)
	}
	for path, f := range want.Files {
		if diff := cmp.Diff(string(f.Content()), string(got.Files[path].Content())); diff != "" {
			t.Fatalf("%s, %s (-render +patched):\n%s", where, path, diff)
		}
	}
	return got
}
