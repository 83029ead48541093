package haproxy

import "testing"

func TestSparePool(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		floor, routeBackends, want int
		ranOut                     bool
	}{
		{"no routes: the floor", 64, 0, 64, false},
		{"a quarter of the route backends above the floor", 64, 10000, 2500, false},
		{"a quarter rounds up", 2, 9, 3, false},
		{"ran out on a small gateway: a burst's worth", 64, 80, burstSpares, true},
		{"ran out on a large gateway: as many as the route backends", 64, 5000, 5000, true},
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
