package haproxy

import "testing"

func TestSparePool(t *testing.T) {
	for _, tt := range []struct {
		name                                string
		floor, routeBackends, running, want int
		ranOut                              bool
	}{
		{"no routes: the floor", 1024, 0, 0, 1024, false},
		{"a quarter of the route backends above the floor", 1024, 10000, 1024, 2500, false},
		{"a quarter rounds up", 2, 9, 2, 3, false},
		{"ran out: twice the pool that ran out", 1024, 5000, 1250, 2500, true},
		{"ran out: never more than the route backends", 1024, 1100, 1024, 1100, true},
		{"ran out below the floor: the floor", 16, 10, 16, 16, true},
		{"a reload that did not run out shrinks back", 1024, 1100, 2048, 1024, false},
		{"floor 0 turns spares off", 0, 10000, 0, 0, true},
	} {
		if got := sparePool(tt.floor, tt.routeBackends, tt.running, tt.ranOut); got != tt.want {
			t.Errorf("%s: sparePool(%d, %d, %d, %v) = %d, want %d", tt.name, tt.floor, tt.routeBackends, tt.running, tt.ranOut, got, tt.want)
		}
	}
}
