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
