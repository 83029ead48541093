package translate

import (
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// ResolveServers is the build's answer to a change of EndpointSlices alone: the servers of every
// backend whose Service ports include one of services ("namespace/name") are resolved again from
// slicesByService, which holds the EndpointSlices of those Services. Nothing else a build decides
// depends on endpoints, so the result equals a full build of the same objects. It returns the
// data plane with those backends changed (dp itself is not changed) and the backends whose
// servers differ.
func ResolveServers(dp model.DataPlane, services map[string]bool, slicesByService map[string][]*discoveryv1.EndpointSlice) (model.DataPlane, []model.BackendID) {
	var changed []model.BackendID
	backends := dp.Backends
	for i, b := range dp.Backends {
		if !slices.ContainsFunc(b.Refs, func(r model.ServiceRef) bool { return services[r.Key()] }) {
			continue
		}
		servers := BackendServers(b, slicesByService)
		if slices.Equal(servers, b.Servers) {
			continue
		}
		if len(changed) == 0 {
			backends = slices.Clone(dp.Backends)
		}
		backends[i].Servers = servers
		changed = append(changed, b.ID)
	}
	dp.Backends = backends
	return dp, changed
}
