package haproxy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestPatchedHTTPMapsEqualRender changes the virtual hosts of an HTTP socket at random (hosts
// added, removed, given other routes, routes whose rules change in every host listing them,
// rules of less precise routes in later tiers, prefixes of several depths, redirects; a route's
// backends there while a host lists it) and renders each step from the one before, keeping the
// hosts that did not change as the model keeps them: the files (host, routes, rules and HTTP
// backends maps among them) must be those of a render from nothing, and the map ops taken from
// the render's notes those found by comparing the files.
func TestPatchedHTTPMapsEqualRender(t *testing.T) {
	hostnames := []string{"*", "*.example.com", "a.example.com", "b.example.com", "c.example.com", "www.example.com", "x.test"}
	routes := []string{"one", "two", "three", "four"}
	paths := []string{"/", "/a", "/a/b", "/a/b/c", "/x"}
	patched, unorderedRenders := 0, 0
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 3))
		// ruleSets are each route's rules as they are now; hosts each host's routes and their
		// hostname ranks, and the virtual host last made of them.
		ruleSets := map[string][]model.HTTPRule{}
		newRules := func(route string) {
			var out []model.HTTPRule
			for rule := range 1 + rng.IntN(2) {
				for match := range 1 + rng.IntN(2) {
					r := model.HTTPRule{PathType: model.PathPrefix, Path: paths[rng.IntN(len(paths))], Match: match,
						Backend: model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: route, Rule: rule}}
					if rng.IntN(3) == 0 {
						r.PathType = model.PathExact
					}
					if rng.IntN(5) == 0 {
						r.Filters = &model.HTTPFilters{Redirect: &model.Redirect{Hostname: "elsewhere.test", StatusCode: 302}}
					}
					if rng.IntN(4) == 0 {
						r.Headers = []model.HeaderMatch{{Name: "x-env", Value: fmt.Sprint(rng.IntN(2))}}
					}
					out = append(out, r)
				}
			}
			ruleSets[route] = out
		}
		for _, r := range routes {
			newRules(r)
		}
		type host struct {
			routes []string
			ranks  []int
			vh     model.VirtualHost
		}
		hosts := map[string]*host{}
		makeHost := func(h *host, name string) {
			h.vh = model.VirtualHost{Hostname: name, Listener: "web"}
			for i, route := range h.routes {
				for _, r := range ruleSets[route] {
					r.HostnameRank = h.ranks[i]
					h.vh.Rules = append(h.vh.Rules, r)
				}
			}
			slices.SortStableFunc(h.vh.Rules, func(a, b model.HTTPRule) int { return b.HostnameRank - a.HostnameRank })
		}
		change := func(name string) {
			if rng.IntN(4) == 0 {
				delete(hosts, name)
				return
			}
			h := &host{}
			for _, r := range routes {
				if rng.IntN(2) == 0 {
					h.routes, h.ranks = append(h.routes, r), append(h.ranks, rng.IntN(2))
				}
			}
			makeHost(h, name)
			hosts[name] = h
		}
		for _, name := range hostnames {
			change(name)
		}
		dataPlane := func() model.DataPlane {
			sock := model.Socket{Address: "10.0.0.1", Port: 80, Gateway: "default/gw", Protocol: model.SocketHTTP,
				// A listener naming a hostname keeps its host map entry when the virtual host goes.
				Listeners: []model.ListenerClaim{{Listener: "web", Hostname: "*", Mode: model.ListenerHTTP}, {Listener: "api", Hostname: "b.example.com", Mode: model.ListenerHTTP}}}
			used := map[string]bool{}
			for _, name := range slices.Sorted(maps.Keys(hosts)) {
				sock.VirtualHosts = append(sock.VirtualHosts, hosts[name].vh)
				for _, route := range hosts[name].routes {
					used[route] = true
				}
			}
			dp := model.DataPlane{Sockets: []model.Socket{sock}}
			for _, route := range slices.Sorted(maps.Keys(used)) {
				for rule := range 2 {
					dp.Backends = append(dp.Backends, &model.Backend{ID: model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: route, Rule: rule}, HTTP: true})
				}
			}
			return dp
		}
		prev, err := Render(dataPlane(), goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		for step := range 40 {
			if rng.IntN(4) == 0 {
				// A route changed: every host listing it is made again.
				route := routes[rng.IntN(len(routes))]
				newRules(route)
				for name, h := range hosts {
					if slices.Contains(h.routes, route) {
						makeHost(h, name)
					}
				}
			}
			for range 1 + rng.IntN(3) {
				change(hostnames[rng.IntN(len(hostnames))])
			}
			dp := dataPlane()
			// Now and then two neighbours out of order: a model like that is rendered whole,
			// never patched (a patch walks both lists in hostname order).
			unordered := swapNeighbours(rng, dp.Sockets[0].VirtualHosts)
			got := renderPatched(t, prev, dp, fmt.Sprintf("seed %d step %d", seed, step))
			// A patched render's plan takes its map ops from the notes (mapOps), compared below
			// with the ops of the files.
			switch {
			case unordered && got.httpMaps[socketID(dp.Sockets[0])].ordered:
				// (A patch always gives maps taken as in order.)
				t.Fatalf("seed %d step %d: a socket whose virtual hosts are out of order was patched or taken as in order", seed, step)
			case unordered:
				unorderedRenders++
			case len(got.mapEdits) > 0:
				patched++
			}
			compared := *got
			compared.editedFrom = 0
			if edits, files := mapOps(prev, got, nil, nil), mapOps(prev, &compared, nil, nil); !cmp.Equal(edits, files) {
				t.Fatalf("seed %d step %d: ops from the render's notes differ from those of the files (-files +notes):\n%s",
					seed, step, cmp.Diff(files, edits))
			}
			prev = got
		}
	}
	if patched == 0 || unorderedRenders == 0 {
		t.Fatalf("%d renders patched their maps, %d rendered virtual hosts out of order: want some of each", patched, unorderedRenders)
	}
	t.Logf("%d renders patched their maps, %d rendered virtual hosts out of order", patched, unorderedRenders)
}
