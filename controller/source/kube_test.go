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

func TestRouteStatusWritesAreNotChanges(t *testing.T) {
	route := func(generation int64, deleting bool) *gatewayv1.TLSRoute {
		r := &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Name: "r", Generation: generation}}
		if deleting {
			now := metav1.Now()
			r.DeletionTimestamp = &now
		}
		return r
	}
	if !routeStatusOnly(route(3, false), route(3, false)) {
		t.Error("a route status write (same generation) counted as a change")
	}
	if routeStatusOnly(route(3, false), route(4, false)) {
		t.Error("a route spec change (new generation) did not count as a change")
	}
	if routeStatusOnly(route(3, false), route(3, true)) {
		t.Error("a route being deleted did not count as a change")
	}
	// Gateways publish their addresses in status, which the build reads.
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "g", Generation: 1}}
	if routeStatusOnly(gw, gw.DeepCopy()) {
		t.Error("a Gateway status write did not count as a change")
	}
}
