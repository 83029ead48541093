package controller

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
)

// routePass handles a change of routes alone (TLSRoutes, HTTPRoutes, GRPCRoutes) without a
// snapshot: the Builder decides the changed routes again and weighs only the hostnames they claim
// (translate.Builder.UpdateRoutes), and the model goes to the data plane and the status writers as
// a full pass's does. A configuration HAProxy refuses, a reload held back, or a failure leaves it
// to a full pass, which finds what was refused, waits or retries.
func (r *Runner) routePass(ctx context.Context, src source.KeyedChanges, c source.Changed, seen, changed time.Time) bool {
	start := time.Now()
	changes := routeChanges(src, c)
	m, ok := r.builder.UpdateRoutes(changes)
	if !ok {
		return false
	}
	r.Metrics.observeBuild(r.builder.Built, r.builder.Reused)
	start = r.Metrics.since(stageBuild, start)
	result := r.DataPlane.Apply(ctx, m.DataPlane)
	start = r.Metrics.since(stageApply, start)
	if result.Err != nil || result.Refused != "" || result.Deferred > 0 {
		return false
	}
	defer r.Metrics.since(stagePublish, start)
	r.settled = r.publish(ctx, m, result, seen, changed, r.builder.UpdatedNames)
	return r.settled
}

// routeChanges reads the changed routes of every kind as they are now, in a stable order.
func routeChanges(src source.KeyedChanges, c source.Changed) []translate.RouteChange {
	changes := make([]translate.RouteChange, 0, len(c.TLSRoutes)+len(c.HTTPRoutes)+len(c.GRPCRoutes))
	for key, route := range src.TLSRoutes(c.TLSRoutes) {
		changes = append(changes, translate.RouteChange{Kind: translate.KindTLSRoute, Namespace: key.Namespace, Name: key.Name, TLSRoute: route})
	}
	for key, route := range src.HTTPRoutes(c.HTTPRoutes) {
		changes = append(changes, translate.RouteChange{Kind: translate.KindHTTPRoute, Namespace: key.Namespace, Name: key.Name, HTTPRoute: route})
	}
	for key, route := range src.GRPCRoutes(c.GRPCRoutes) {
		changes = append(changes, translate.RouteChange{Kind: translate.KindGRPCRoute, Namespace: key.Namespace, Name: key.Name, GRPCRoute: route})
	}
	slices.SortFunc(changes, func(a, b translate.RouteChange) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return changes
}

// routesChanged is how many routes of each kind c names.
func routesChanged(c source.Changed) (tls, http int) {
	return len(c.TLSRoutes), len(c.HTTPRoutes) + len(c.GRPCRoutes)
}
