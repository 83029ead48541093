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

// keyedPass handles a change of EndpointSlices or routes alone (or of both) without a
// snapshot of everything: see endpointPass and routePass. False means a full pass must run:
// something else changed too, the last pass did not finish, parts are held back after a refusal,
// or the data plane did not take the change.
func (r *Runner) keyedPass(ctx context.Context, seen, changed time.Time) bool {
	src, ok := r.Source.(source.KeyedChanges)
	if !ok {
		return false
	}
	c := src.TakeChanged()
	tlsRoutes, httpRoutes := routesChanged(c)
	if c.Other || !r.settled || r.isolation.held.Len() > 0 || r.builder == nil || len(c.Endpoints)+tlsRoutes+httpRoutes == 0 {
		return false
	}
	if len(c.Endpoints) > 0 {
		if !r.endpointPass(ctx, src, c.Endpoints, seen, changed) {
			return false
		}
		r.Metrics.observeEndpointPass()
	}
	if tlsRoutes+httpRoutes > 0 {
		if !r.routePass(ctx, src, c, seen, changed) {
			return false
		}
		r.Metrics.observeRoutePass(httpRoutes > 0)
	}
	return true
}

// endpointPass handles a change of the EndpointSlices of services without a build: nothing but
// servers depends on endpoints (no status, no hostname, no certificate), so the servers of the
// backends of those Services are resolved again in the data plane last applied, and only they go
// to the data plane.
func (r *Runner) endpointPass(ctx context.Context, src source.KeyedChanges, services map[string]bool, seen, changed time.Time) bool {
	start := time.Now()
	updater, ok := r.DataPlane.(ServerUpdater)
	if !ok {
		return false
	}
	slices, err := src.EndpointSlices(ctx, services)
	if err != nil {
		r.Log.WithError(err).Debug("read EndpointSlices; building everything instead")
		return false
	}
	// The Builder's last model is the data plane last applied (nothing is held back): it resolves
	// the servers there, and routes changed later are decided with these EndpointSlices.
	dp, backends, ok := r.builder.ServersChanged(services, translate.SlicesByService(slices))
	if !ok {
		return false
	}
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
