package controller

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"k8s.io/apimachinery/pkg/types"
)

// routePass handles a change of TLSRoutes alone without a snapshot: the Builder decides the
// changed routes again and weighs only the hostnames they claim (translate.Builder.UpdateRoutes),
// and the model goes to the data plane and the status writers as a full pass's does. A
// configuration HAProxy refuses, a reload held back, or a failure leaves it to a full pass, which
// finds what was refused, waits or retries.
func (r *Runner) routePass(ctx context.Context, src source.KeyedChanges, keys map[types.NamespacedName]bool, seen, changed time.Time) bool {
	start := time.Now()
	routes := src.TLSRoutes(keys)
	changes := make([]translate.RouteChange, 0, len(routes))
	for key, route := range routes {
		changes = append(changes, translate.RouteChange{Namespace: key.Namespace, Name: key.Name, Route: route})
	}
	slices.SortFunc(changes, func(a, b translate.RouteChange) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
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
