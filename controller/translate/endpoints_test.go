package translate_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// TestResolveServersEqualsBuild changes the EndpointSlices of every golden input at random, step
// after step, and checks after each step that resolving the servers of the changed Services
// again gives the data plane a full build of the same objects gives.
func TestResolveServersEqualsBuild(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			snap, opts := c.snap, c.opts
			services := referencedServices(translate.Build(snap, opts).DataPlane)
			if len(services) == 0 {
				t.Skip("no backend has a Service")
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			dp := translate.Build(snap, opts).DataPlane
			for step := range 60 {
				snap = snap.DeepCopy()
				service := services[rng.IntN(len(services))]
				what := changeEndpoints(rng, snap, service)
				before := dp
				var changed []model.BackendID
				dp, changed = translate.ResolveServers(dp, map[string]bool{service: true}, translate.SlicesByService(snap.EndpointSlices), nil)
				want := translate.Build(snap, opts).DataPlane
				if diff := cmp.Diff(want, dp); diff != "" {
					t.Fatalf("step %d (%s of %s): resolved servers differ from a build (-build +resolved):\n%s", step, what, service, diff)
				}
				if diff := cmp.Diff(differingServers(before, want), changed); diff != "" {
					t.Fatalf("step %d (%s of %s): backends reported changed (-want +got):\n%s", step, what, service, diff)
				}
			}
		})
	}
}

// differingServers are the backends whose servers differ between two data planes of the same
// backends, in order.
func differingServers(a, b model.DataPlane) []model.BackendID {
	var out []model.BackendID
	for i := range b.Backends {
		if !cmp.Equal(a.Backends[i].Servers, b.Backends[i].Servers) {
			out = append(out, b.Backends[i].ID)
		}
	}
	return out
}

// referencedServices are the Services the backends of dp take servers from, sorted.
func referencedServices(dp model.DataPlane) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range dp.Backends {
		for _, r := range b.Refs {
			if !seen[r.Key()] {
				seen[r.Key()] = true
				out = append(out, r.Key())
			}
		}
	}
	return out
}

// changeEndpoints makes one random change to the EndpointSlices of a Service ("namespace/name")
// and says what it did.
func changeEndpoints(rng *rand.Rand, snap *snapshot.Snapshot, service string) string {
	namespace, name, _ := strings.Cut(service, "/")
	var mine []int
	for i, s := range snap.EndpointSlices {
		if s.Namespace == namespace && s.Labels[discoveryv1.LabelServiceName] == name {
			mine = append(mine, i)
		}
	}
	address := func() string { return fmt.Sprintf("10.9.%d.%d", rng.IntN(4), 1+rng.IntN(6)) }
	if len(mine) == 0 || rng.IntN(6) == 0 {
		port := int32(1000 + rng.IntN(3))
		var portName *string
		if len(mine) > 0 && len(snap.EndpointSlices[mine[0]].Ports) > 0 {
			portName = snap.EndpointSlices[mine[0]].Ports[0].Name
		}
		s := discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4,
			Ports:     []discoveryv1.EndpointPort{{Name: portName, Port: &port}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{address()}}}}
		s.Namespace, s.Name = namespace, fmt.Sprintf("%s-extra-%d", name, rng.IntN(1000))
		s.Labels = map[string]string{discoveryv1.LabelServiceName: name}
		snap.EndpointSlices = append(snap.EndpointSlices, s)
		return "slice added"
	}
	chosen := mine[rng.IntN(len(mine))]
	slice := &snap.EndpointSlices[chosen]
	switch rng.IntN(4) {
	case 0:
		snap.EndpointSlices = append(snap.EndpointSlices[:chosen:chosen], snap.EndpointSlices[chosen+1:]...)
		return "slice deleted"
	case 1:
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{address()}})
		return "endpoint added"
	case 2:
		if len(slice.Endpoints) > 0 {
			i := rng.IntN(len(slice.Endpoints))
			slice.Endpoints[i].Conditions.Ready = ptr.To(!ptr.Deref(slice.Endpoints[i].Conditions.Ready, true))
			return "readiness flipped"
		}
	}
	if len(slice.Endpoints) > 0 {
		slice.Endpoints = slice.Endpoints[1:]
	}
	return "endpoint removed"
}
