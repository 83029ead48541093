package haproxy

import (
	"maps"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

func TestSparePool(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		floor, routeBackends, want int
		ranOut                     bool
	}{
		{"no routes: the floor", 64, 0, 64, false},
		{"a quarter of the route backends above the floor", 64, 6000, 1500, false},
		{"a quarter rounds up", 2, 9, 3, false},
		{"a quarter of a large gateway stops at quarterSpares", 64, 50000, quarterSpares, false},
		{"a floor above quarterSpares holds", 5000, 50000, 5000, false},
		{"ran out on a small gateway: a burst's worth", 64, 80, burstSpares, true},
		{"ran out on a larger gateway: as many as the route backends", 64, 3000, 3000, true},
		{"ran out on a large gateway: up to ranOutSpares", 64, 10000, ranOutSpares, true},
		{"a reload that did not run out shrinks back", 64, 1100, 275, false},
		{"floor 0 turns spares off", 0, 10000, 0, true},
	} {
		if got := sparePool(tt.floor, tt.routeBackends, tt.ranOut); got != tt.want {
			t.Errorf("%s: sparePool(%d, %d, %v) = %d, want %d", tt.name, tt.floor, tt.routeBackends, tt.ranOut, got, tt.want)
		}
	}
}

func TestRanOutOnlyWhenSparesAloneReload(t *testing.T) {
	used := Reason{SparesUsedUp, "20 new route backends, 16 spare backends left"}
	httpUsed := Reason{HTTPSparesUsedUp, "20 new HTTP route backends, 16 HTTP spare backends left"}
	changed := Reason{ConfigChanged, "haproxy.cfg changed beyond route backends"}
	for _, tt := range []struct {
		name          string
		reasons       []Reason
		tcp, httpWant bool
	}{
		{"a burst outran the pool", []Reason{used}, true, false},
		{"a burst of HTTP routes outran theirs", []Reason{httpUsed}, false, true},
		{"both outran", []Reason{used, httpUsed}, true, true},
		{"a cold start or new listeners: due anyway", []Reason{changed, used}, false, false},
		{"no spares needed", []Reason{changed}, false, false},
		{"no reload", nil, false, false},
	} {
		p := Plan{Reload: len(tt.reasons) > 0, Reasons: tt.reasons}
		if got, gotHTTP := ranOut(p, false), ranOut(p, true); got != tt.tcp || gotHTTP != tt.httpWant {
			t.Errorf("%s: ranOut = %v, for HTTP %v; want %v, %v", tt.name, got, gotHTTP, tt.tcp, tt.httpWant)
		}
	}
}

// TestSparesFollowTheChange: a change that assigns and frees no spare hands the running map on
// (what follows from spares, the controller's metrics, is then skipped), and one that does makes
// a new map and leaves the running one as it was.
func TestSparesFollowTheChange(t *testing.T) {
	baz := withRoute("baz", "baz.example.com", "10.244.2.1")
	const bazBackend, quxBackend = "tlsroute:default:baz:rule0", "tlsroute:default:qux:rule0"
	render := func(dp model.DataPlane) *Config {
		t.Helper()
		cfg, err := Render(dp, planSettings)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	live := Started(render(plane()))
	withBaz := render(plane(baz))
	p := PlanChange(live, withBaz)
	if p.Reload || !maps.Equal(p.Assigned, map[string]string{bazBackend: "spare:0"}) {
		t.Fatalf("baz added: reload %v, assigned %v", p.Reload, p.Assigned)
	}
	live = live.After(p, withBaz)
	running := maps.Clone(live.Spares)

	for _, tt := range []struct {
		name     string
		to       model.DataPlane
		spares   map[string]string
		assigned map[string]string
		same     bool
	}{
		{"a server of foo moves: no spare changes", plane(baz, fooServers("10.244.1.2")), running, nil, true},
		{"baz's server moves: it keeps its spare", plane(withRoute("baz", "baz.example.com", "10.244.2.9")), running, nil, true},
		{"qux added: the next spare", plane(baz, withRoute("qux", "qux.example.com", "10.244.3.1")),
			map[string]string{bazBackend: "spare:0", quxBackend: "spare:1"}, map[string]string{quxBackend: "spare:1"}, false},
		{"baz deleted: its spare is freed", plane(), map[string]string{}, nil, false},
	} {
		p := PlanChange(live, render(tt.to))
		if p.Reload {
			t.Fatalf("%s: reloads: %v", tt.name, p.Reasons)
		}
		if !maps.Equal(p.Spares, tt.spares) || !maps.Equal(p.Assigned, tt.assigned) {
			t.Errorf("%s: spares %v, assigned %v; want %v, %v", tt.name, p.Spares, p.Assigned, tt.spares, tt.assigned)
		}
		if model.SameMap(p.Spares, live.Spares) != tt.same {
			t.Errorf("%s: the running map handed on: %v, want %v", tt.name, model.SameMap(p.Spares, live.Spares), tt.same)
		}
		if !maps.Equal(live.Spares, running) {
			t.Fatalf("%s: the running map changed in place: %v", tt.name, live.Spares)
		}
	}
}
