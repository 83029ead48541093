package status_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestKubeSourceSaysWhichTLSRoutesChanged: a TLSRoute created, changed or deleted is reported by
// key and nothing else, and TLSRoutes reads it as it is now (nil once gone); a Gateway change is
// reported as a change only a full pass covers.
func TestKubeSourceSaysWhichTLSRoutesChanged(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "changed"
	src := startSource(ctx, t, c.RestConfig, source.KubeOptions{Log: testLogger()})
	live := liveClient(t, c)
	gw := newGateway(ns, "gw")
	route := newTLSRoute(ns, "r", "gw", "app.example.com", "svc")
	if err := live.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := live.Create(ctx, gw); err != nil {
		t.Fatal(err)
	}
	if _, err := waitForSnapshotOf(ctx, src, func(snap *snapshot.Snapshot) bool {
		return slices.ContainsFunc(snap.Gateways, func(g gatewayv1.Gateway) bool { return g.Namespace == ns })
	}); err != nil {
		t.Fatal(err)
	}
	quiet(src.Changes(), time.Second)
	src.TakeChanged()

	key := types.NamespacedName{Namespace: ns, Name: "r"}
	// next waits for the change signal, then takes what changed.
	next := func(what string) source.Changed {
		t.Helper()
		select {
		case <-src.Changes():
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no change signalled", what)
		}
		quiet(src.Changes(), 500*time.Millisecond)
		return src.TakeChanged()
	}
	routeOnly := func(what string, changed source.Changed) {
		t.Helper()
		if changed.Other || len(changed.Endpoints) > 0 || !slices.Equal(slices.Collect(maps.Keys(changed.TLSRoutes)), []types.NamespacedName{key}) {
			t.Errorf("%s: changed %+v, want TLSRoute %s alone", what, changed, key)
		}
	}

	if err := live.Create(ctx, route); err != nil {
		t.Fatal(err)
	}
	routeOnly("create", next("create"))
	route.Spec.Hostnames = []gatewayv1.Hostname{"other.example.com"}
	if err := live.Update(ctx, route); err != nil {
		t.Fatal(err)
	}
	routeOnly("update", next("update"))
	if got := src.TLSRoutes(map[types.NamespacedName]bool{key: true})[key]; got == nil || len(got.Spec.Hostnames) != 1 || got.Spec.Hostnames[0] != "other.example.com" {
		t.Errorf("TLSRoutes after the update: %v, want the route with hostname other.example.com", got)
	}

	gw.Spec.Listeners[0].Port = 8443
	if err := live.Update(ctx, gw); err != nil {
		t.Fatal(err)
	}
	if changed := next("Gateway update"); !changed.Other {
		t.Errorf("Gateway update: changed %+v, want one only a full pass covers", changed)
	}

	if err := live.Delete(ctx, route); err != nil {
		t.Fatal(err)
	}
	routeOnly("delete", next("delete"))
	if got, ok := src.TLSRoutes(map[types.NamespacedName]bool{key: true})[key]; !ok || got != nil {
		t.Errorf("TLSRoutes after the delete: %v (listed %v), want nil", got, ok)
	}
}
