package translate_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRoutesShareConditionLists gives a golden input's first TLSRoute three siblings that differ
// from it only in name and hostname: a build gives the three the same conditions, as one list,
// while a fourth that names a Service nobody has gets a list of its own.
func TestRoutesShareConditionLists(t *testing.T) {
	for _, c := range goldenCases(t) {
		if len(c.snap.TLSRoutes) == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			snap := *c.snap
			first := snap.TLSRoutes[0]
			snap.TLSRoutes = append([]*gatewayv1.TLSRoute(nil), snap.TLSRoutes...)
			sibling := func(name string) *gatewayv1.TLSRoute {
				r := first.DeepCopy()
				r.Name = name
				r.Spec.Hostnames = []gatewayv1.Hostname{gatewayv1.Hostname(name + ".siblings.example")}
				return r
			}
			var names []string
			for i := range 3 {
				names = append(names, fmt.Sprintf("sibling-%d", i))
				snap.TLSRoutes = append(snap.TLSRoutes, sibling(names[i]))
			}
			broken := sibling("sibling-broken")
			broken.Spec.Rules[0].BackendRefs[0].Name = "no-such-service"
			snap.TLSRoutes = append(snap.TLSRoutes, broken)

			m := translate.Build(&snap, c.opts)
			parents := map[string][]gatewayv1.RouteParentStatus{}
			for _, r := range m.Routes {
				if r.Kind == translate.KindTLSRoute && r.Namespace == first.Namespace {
					parents[r.Name] = r.Parents
				}
			}
			want := parents[names[0]]
			if len(want) == 0 {
				t.Skipf("TLSRoute %s has no status of ours", names[0])
			}
			for _, name := range names[1:] {
				got := parents[name]
				if len(got) != len(want) {
					t.Fatalf("%s has %d parents, %s %d", name, len(got), names[0], len(want))
				}
				for i := range got {
					if diff := cmp.Diff(want[i].Conditions, got[i].Conditions); diff != "" {
						t.Fatalf("%s's conditions differ from %s's (-%s +%s):\n%s", name, names[0], names[0], name, diff)
					}
					if !model.SameSlice(got[i].Conditions, want[i].Conditions) {
						t.Errorf("%s's parent %d has a condition list of its own, equal to %s's", name, i, names[0])
					}
				}
			}
			for i, p := range parents[broken.Name] {
				if model.SameSlice(p.Conditions, want[min(i, len(want)-1)].Conditions) {
					t.Errorf("%s shares the conditions of routes whose references resolve", broken.Name)
				}
			}
		})
	}
}
