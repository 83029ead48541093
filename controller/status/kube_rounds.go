package status

import (
	"cmp"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A change usually moves the desired status of a few routes, and a build that kept a route's
// result hands the very same parent list again. After a round that left every route's desired
// status in place, the next round walks its routes beside the last round's, both in the model's
// order, and looks up only the routes whose parent list is not the same one: the cost of a round
// follows the routes that changed, with one comparison of names for each of the others.

// endRound records the round's routes, and whether each one's desired status is now in place.
func (w *KubeWriter) endRound(routes []*model.Route, settled bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last, w.settled, w.lastOrdered = routes, settled, w.ordered
	w.ordered = false
}

// unknownSince is unknownRoutes after a settled round: the indexes of the routes whose desired
// status is not known to be in place, forgetting those gone since. False, with nothing changed,
// when a list is not in the model's order. The caller holds mu.
//
// When the last round's list was found in order, the order is checked on the way, at the routes
// new since: a route that was in the last round comes after the one before it, which was in the
// last round too (and before it there) or new (and placed before it by the walk).
func (w *KubeWriter) unknownSince(routes []*model.Route) ([]int, bool) {
	checked := w.lastOrdered
	if !checked {
		for i := 1; i < len(routes); i++ {
			if compareInModel(routes[i-1], routes[i]) >= 0 {
				return nil, false
			}
		}
	}
	follows := func(j int) bool { return !checked || j == 0 || compareInModel(routes[j-1], routes[j]) < 0 }
	var unknown, gone []int
	look := func(i int) {
		r := routes[i]
		if last, ok := w.current[routeKey{r.Kind, r.Namespace, r.Name}]; !ok || !sameParents(last.route.Parents, r.Parents) {
			unknown = append(unknown, i)
		}
	}
	old := w.last
	i, j := 0, 0
	for i < len(old) || j < len(routes) {
		order := 1
		switch {
		case j == len(routes):
			order = -1
		case i < len(old):
			order = compareInModel(old[i], routes[j])
		}
		switch {
		case order < 0:
			gone = append(gone, i)
			i++
		case order > 0:
			if !follows(j) {
				return nil, false
			}
			look(j)
			j++
		default:
			if a, b := old[i].Parents, routes[j].Parents; old[i] != routes[j] && (len(a) != len(b) || len(a) > 0 && &a[0] != &b[0]) {
				look(j)
			}
			i, j = i+1, j+1
		}
	}
	for _, i := range gone {
		delete(w.current, routeKey{old[i].Kind, old[i].Namespace, old[i].Name})
	}
	w.ordered = true
	return unknown, true
}

// compareInModel orders routes as a model lists them: TLSRoutes, then HTTPRoutes, then GRPCRoutes,
// then other kinds by name, each by namespace and name.
func compareInModel(a, b *model.Route) int {
	if a == b || a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name {
		return 0
	}
	return cmp.Or(cmp.Compare(model.RouteKindOrder(a.Kind), model.RouteKindOrder(b.Kind)), cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}
