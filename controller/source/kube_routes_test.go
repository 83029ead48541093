package source

import (
	"slices"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRouteStoresKeepSnapshotOrder feeds adds, updates and deletes (one as a tombstone) in an
// order of their own and checks the stores list what a sorted snapshot of the same routes has.
func TestRouteStoresKeepSnapshotOrder(t *testing.T) {
	route := func(namespace, name, version string) *gatewayv1.TLSRoute {
		return &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, ResourceVersion: version}}
	}
	var s routeStores
	for _, r := range []*gatewayv1.TLSRoute{route("b", "x", "1"), route("a-b", "x", "1"), route("a", "z", "1"), route("a", "y", "1"), route("c", "gone", "1")} {
		s.observe(r, false)
	}
	s.observe(route("a", "z", "2"), false)
	s.observe(toolscache.DeletedFinalStateUnknown{Key: "c/gone", Obj: route("c", "gone", "1")}, true)
	s.observe(route("b", "never-added", "1"), true)
	s.observe(&gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "h"}}, false)
	s.observe(&gatewayv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "g"}}, false)

	got := s.tls.list()
	want := &snapshot.Snapshot{TLSRoutes: []*gatewayv1.TLSRoute{route("b", "x", "1"), route("a", "y", "1"), route("a", "z", "2"), route("a-b", "x", "1")}}
	want.Sort()
	key := func(r *gatewayv1.TLSRoute) string { return r.Namespace + "/" + r.Name + "@" + r.ResourceVersion }
	if !slices.EqualFunc(got, want.TLSRoutes, func(a, b *gatewayv1.TLSRoute) bool { return key(a) == key(b) }) {
		t.Errorf("TLSRoutes %v, want %v", keys(got, key), keys(want.TLSRoutes, key))
	}
	if http := s.http.list(); len(http) != 1 || http[0].Name != "h" {
		t.Errorf("HTTPRoutes %v", http)
	}
	if grpc := s.grpc.list(); len(grpc) != 1 || grpc[0].Name != "g" {
		t.Errorf("GRPCRoutes %v", grpc)
	}
}

func keys[T any](items []T, key func(T) string) []string {
	var out []string
	for _, i := range items {
		out = append(out, key(i))
	}
	return out
}
