package source

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Every watched kind must be in the scheme, or the cache cannot make its informer.
func TestSchemeKnowsWatchedKinds(t *testing.T) {
	s := Scheme()
	for _, obj := range watchedKinds() {
		gvks, _, err := s.ObjectKinds(obj)
		if err != nil || len(gvks) == 0 {
			t.Errorf("scheme does not know %T: %v", obj, err)
		}
	}
}

func TestSameVersionSkipsResyncs(t *testing.T) {
	at := func(rv string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", ResourceVersion: rv}}
	}
	if !sameVersion(at("5"), at("5")) {
		t.Error("a resync (same resourceVersion) counted as a change")
	}
	if sameVersion(at("5"), at("6")) {
		t.Error("a new resourceVersion did not count as a change")
	}
	// Tombstones and other non-objects are always passed on.
	if sameVersion("x", at("5")) {
		t.Error("a non-object counted as unchanged")
	}
}

func TestStatusWritesAreNotChanges(t *testing.T) {
	route := func(generation int64, deleting bool) *gatewayv1.TLSRoute {
		r := &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Name: "r", Generation: generation}}
		if deleting {
			now := metav1.Now()
			r.DeletionTimestamp = &now
		}
		return r
	}
	if !statusOnly(route(3, false), route(3, false)) {
		t.Error("a route status write (same generation) counted as a change")
	}
	if statusOnly(route(3, false), route(4, false)) {
		t.Error("a route spec change (new generation) did not count as a change")
	}
	if statusOnly(route(3, false), route(3, true)) {
		t.Error("a route being deleted did not count as a change")
	}
	gateway := func(address string) *gatewayv1.Gateway {
		g := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "g", Generation: 1}}
		g.Status.Listeners = []gatewayv1.ListenerStatus{{Name: "tls", AttachedRoutes: 1}}
		if address != "" {
			g.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Value: address}}
		}
		return g
	}
	moreRoutes := gateway("10.250.0.1")
	moreRoutes.Status.Listeners[0].AttachedRoutes = 2
	if !statusOnly(gateway("10.250.0.1"), moreRoutes) {
		t.Error("a Gateway status write that kept its address counted as a change")
	}
	// The build keeps a Gateway's published address.
	if statusOnly(gateway(""), gateway("10.250.0.1")) {
		t.Error("a Gateway's new status address did not count as a change")
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Generation: 0}}
	if statusOnly(svc, svc.DeepCopy()) {
		t.Error("a Service update counted as a status write")
	}
}
