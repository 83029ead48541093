package status

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestUnknownSinceEqualsAFullLook: after a settled round, the routes unknownSince looks up, and
// the routes it forgets, are those a look at every route finds, over random sequences of routes
// added, removed, given new parents or kept as they are, with rounds that fail now and then.
func TestUnknownSinceEqualsAFullLook(t *testing.T) {
	less := func(a, b routeKey) int {
		return compareInModel(&model.Route{Kind: a.kind, Namespace: a.namespace, Name: a.name}, &model.Route{Kind: b.kind, Namespace: b.namespace, Name: b.name})
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		parents := func(msg string) []gatewayv1.RouteParentStatus {
			return []gatewayv1.RouteParentStatus{{ParentRef: gatewayv1.ParentReference{Name: "gw"},
				Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Message: msg}}}}
		}
		route := func(kind string, n int) *model.Route {
			return &model.Route{Kind: kind, Namespace: "ns", Name: fmt.Sprintf("r%03d", n), Parents: parents("first")}
		}
		var routes []*model.Route
		for n := range 30 {
			routes = append(routes, route("TLSRoute", n))
		}
		for n := range 10 {
			routes = append(routes, route("HTTPRoute", n))
		}
		shortcut, full := &KubeWriter{}, &KubeWriter{}
		fullUnknown := full.unknownRoutes(routes)
		write := func(w *KubeWriter, unknown []int, fails bool) {
			for _, i := range unknown {
				if !fails {
					r := routes[i]
					w.setCurrent(routeKey{r.Kind, r.Namespace, r.Name}, r)
				}
			}
			w.endRound(routes, !fails)
		}
		write(shortcut, shortcut.unknownRoutes(routes), false)
		write(full, fullUnknown, false)
		for step := range 40 {
			next := make([]*model.Route, 0, len(routes)+2)
			for _, r := range routes {
				switch rng.IntN(8) {
				case 0: // removed
				case 1: // a new status, in a new entry: models share their routes, never changed in place
					changed := *r
					changed.Parents = parents(fmt.Sprintf("step %d", step))
					next = append(next, &changed)
				case 2: // a new entry with the same status list
					next = append(next, new(*r))
				default:
					next = append(next, r)
				}
			}
			for range rng.IntN(3) {
				kind := []string{"TLSRoute", "HTTPRoute"}[rng.IntN(2)]
				r := route(kind, 100+rng.IntN(50))
				if !slices.ContainsFunc(next, func(x *model.Route) bool { return x.Kind == r.Kind && x.Name == r.Name }) {
					next = append(next, r)
				}
			}
			slices.SortFunc(next, compareInModel)
			routes = next
			got, want := shortcut.unknownRoutes(routes), full.unknownRoutesNoShortcut(routes)
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: unknown %v, a full look finds %v", seed, step, got, want)
			}
			if !slices.Equal(slices.SortedFunc(maps.Keys(shortcut.current), less), slices.SortedFunc(maps.Keys(full.current), less)) {
				t.Fatalf("seed %d step %d: remembers %d routes, a full look %d", seed, step, len(shortcut.current), len(full.current))
			}
			fails := rng.IntN(6) == 0
			write(shortcut, got, fails)
			write(full, want, fails)
		}
	}
}

// unknownRoutesNoShortcut is unknownRoutes looking at every route.
func (w *KubeWriter) unknownRoutesNoShortcut(routes []*model.Route) []int {
	w.settled = false
	return w.unknownRoutes(routes)
}

// TestUnknownSinceFindsRoutesOutOfOrder: a list out of the model's order is refused, wherever the
// two routes out of order are: both in the last round, one new, or the same route twice.
func TestUnknownSinceFindsRoutesOutOfOrder(t *testing.T) {
	route := func(n int) *model.Route {
		return &model.Route{Kind: "TLSRoute", Namespace: "ns", Name: fmt.Sprintf("r%03d", n)}
	}
	var sorted []*model.Route
	for n := 0; n < 20; n += 2 {
		sorted = append(sorted, route(n))
	}
	for _, c := range []struct {
		name   string
		change func([]*model.Route) []*model.Route
	}{
		{"two routes of the last round swapped", func(rs []*model.Route) []*model.Route {
			rs[3], rs[4] = rs[4], rs[3]
			return rs
		}},
		{"a new route before its place", func(rs []*model.Route) []*model.Route { return slices.Insert(rs, 2, route(9)) }},
		{"a new route after its place", func(rs []*model.Route) []*model.Route { return slices.Insert(rs, 7, route(3)) }},
		{"a route twice", func(rs []*model.Route) []*model.Route { return slices.Insert(rs, 5, rs[4]) }},
		{"the last route first", func(rs []*model.Route) []*model.Route {
			return append([]*model.Route{rs[len(rs)-1]}, rs[:len(rs)-1]...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := &KubeWriter{}
			for range 2 { // the second round is checked along the way, against the first
				for _, r := range sorted {
					w.setCurrent(routeKey{r.Kind, r.Namespace, r.Name}, r)
				}
				if _, ok := w.unknownSince(sorted); !ok {
					t.Fatal("a list in order was refused")
				}
				w.endRound(sorted, true)
			}
			if !w.lastOrdered {
				t.Fatal("a list found in order was not recorded so")
			}
			if _, ok := w.unknownSince(c.change(slices.Clone(sorted))); ok {
				t.Error("a list out of order was taken")
			}
		})
	}
}
