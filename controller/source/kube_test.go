package source

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
