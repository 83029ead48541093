package snapshot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestSortOrdersByNamespaceThenName sorts random lists, sorted, reversed and shuffled, and checks
// the order and that every object is still there once.
func TestSortOrdersByNamespaceThenName(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 40 {
		var routes []*gatewayv1.TLSRoute
		for i := range n {
			routes = append(routes, &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{
				Namespace: fmt.Sprintf("ns%d", rng.IntN(3)), Name: fmt.Sprintf("r%03d", i)}})
		}
		rng.Shuffle(len(routes), func(i, j int) { routes[i], routes[j] = routes[j], routes[i] })
		if n%3 == 0 {
			slices.Reverse(routes)
		}
		want := slices.Clone(routes)
		slices.SortFunc(want, func(a, b *gatewayv1.TLSRoute) int {
			if a.Namespace != b.Namespace {
				return strings.Compare(a.Namespace, b.Namespace)
			}
			return strings.Compare(a.Name, b.Name)
		})
		s := &Snapshot{TLSRoutes: routes}
		s.Sort()
		for i := range want {
			if s.TLSRoutes[i].Namespace != want[i].Namespace || s.TLSRoutes[i].Name != want[i].Name {
				t.Fatalf("%d routes: position %d holds %s/%s, want %s/%s", n, i, s.TLSRoutes[i].Namespace, s.TLSRoutes[i].Name, want[i].Namespace, want[i].Name)
			}
		}
	}
}
