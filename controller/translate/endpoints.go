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
// servers differ. byService is the index of dp's backends (IndexBackendsByService); nil makes one.
func ResolveServers(dp model.DataPlane, services map[string]bool, slicesByService map[string][]*discoveryv1.EndpointSlice, byService BackendsByService) (model.DataPlane, []model.BackendID) {
	if byService == nil {
		byService = IndexBackendsByService(dp.Backends)
	}
	var positions []int
	for svc := range services {
		positions = append(positions, byService[svc]...)
	}
	// A backend may name a Service twice, or two of the Services; the changed backends are listed
	// in model order, each once.
	slices.Sort(positions)
	positions = slices.Compact(positions)
	var changed []model.BackendID
	backends := dp.Backends
	for _, i := range positions {
		b := dp.Backends[i]
		servers := BackendServers(b, slicesByService)
		if slices.Equal(servers, b.Servers) {
			continue
		}
		if len(changed) == 0 {
			backends = slices.Clone(dp.Backends)
		}
		resolved := *b
		resolved.Servers = servers
		backends[i] = &resolved
		changed = append(changed, b.ID)
	}
	dp.Backends = backends
	return dp, changed
}

// BackendsByService is, per Service ("namespace/name"), the positions in a data plane's backends
// of those whose Refs name it: a change of one Service's EndpointSlices looks at its backends
// alone, not at every backend of the data plane.
type BackendsByService map[string][]int

// IndexBackendsByService indexes backends by the Services they name. A backend that names a
// Service twice is listed twice; ResolveServers takes each position once.
func IndexBackendsByService(backends []*model.Backend) BackendsByService {
	byService := BackendsByService{}
	for i, b := range backends {
		for _, r := range b.Refs {
			byService[r.Key()] = append(byService[r.Key()], i)
		}
	}
	return byService
}
