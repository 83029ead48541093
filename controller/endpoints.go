package controller

import (
	"context"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/sirupsen/logrus"
)

// ServerUpdater is a DataPlane that can change the servers of some backends alone, at a cost that
// follows the number of backends changed.
type ServerUpdater interface {
	ApplyServers(ctx context.Context, dp model.DataPlane, changed []model.BackendID) ApplyResult
}

// endpointPass handles a change of EndpointSlices alone without a build: nothing but servers
// depends on endpoints (no status, no hostname, no certificate), so the servers of the backends
// of those Services are resolved again in the data plane last applied, and only they go to the
// data plane. False means a full pass must run: something else changed too, the last pass did not
// finish, parts are held back after a refusal, or the data plane did not take the change.
func (r *Runner) endpointPass(ctx context.Context, seen, changed time.Time) bool {
	changes, ok := r.Source.(source.EndpointChanges)
	if !ok {
		return false
	}
	start := time.Now()
	services, only := changes.TakeEndpointChanges()
	updater, ok := r.DataPlane.(ServerUpdater)
	if !ok || !only || len(services) == 0 || !r.settled || r.isolation.held.Len() > 0 {
		return false
	}
	slices, err := changes.EndpointSlices(ctx, services)
	if err != nil {
		r.Log.WithError(err).Debug("read EndpointSlices; building everything instead")
		return false
	}
	dp, backends := translate.ResolveServers(r.applied, services, translate.SlicesByService(slices))
	if len(backends) == 0 {
		return true
	}
	result := updater.ApplyServers(ctx, dp, backends)
	if result.Err != nil || result.Deferred > 0 {
		return false
	}
	r.Metrics.since(stageEndpoints, start)
	r.Metrics.observe(result, seen)
	r.Metrics.observeObjectChange(result, changed)
	r.applied = dp
	routes := map[string]bool{}
	for _, id := range backends {
		routes[routeName(id)] = true
	}
	r.Log.WithFields(logrus.Fields{"change": result.Detail, "reloaded": result.Reloaded, "routes": bounded(sortedKeys(routes)),
		"sockets": len(dp.Sockets), "backends": len(dp.Backends)}).Info("data plane updated")
	return true
}
