// Package source supplies snapshots of Gateway API objects: from a Kubernetes API server, or from
// YAML files in a directory (standalone mode).
package source

import (
	"context"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Source watches objects and hands out consistent snapshots of them.
type Source interface {
	// Start begins watching and returns once the first full view is loaded.
	Start(ctx context.Context) error
	// Changes receives a value after objects changed. It holds at most one pending value, so a
	// burst of changes becomes one rebuild.
	Changes() <-chan struct{}
	// Snapshot returns the objects as they are now, sorted. They may be shared with the source's
	// own store: the caller must not change them.
	Snapshot(ctx context.Context) (*snapshot.Snapshot, error)
}

// ChangeClock is implemented by sources whose objects say when they were changed.
type ChangeClock interface {
	// TakeOldestChange returns the time of the oldest change signalled on Changes since the last
	// call, and forgets it; zero when no change carried a time.
	TakeOldestChange() time.Time
}

// ChangeCauses is implemented by sources that tell which kinds of objects changed.
type ChangeCauses interface {
	// TakeChangeCauses returns how many changes of each kind signalled on Changes since the last
	// call, and forgets them.
	TakeChangeCauses() map[string]int
}

// KeyedChanges is implemented by sources that tell which objects changed, so that a change of
// EndpointSlices alone, or of routes alone, is handled without a snapshot of everything.
type KeyedChanges interface {
	// TakeChanged returns what changed since the last call, and forgets it.
	TakeChanged() Changed
	// EndpointSlices reads the EndpointSlices of the Services, shared as a snapshot's objects are.
	EndpointSlices(ctx context.Context, services map[string]bool) ([]discoveryv1.EndpointSlice, error)
	// TLSRoutes reads the TLSRoutes of keys as they are now, shared as a snapshot's objects are;
	// one that is gone is nil.
	TLSRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.TLSRoute
	// HTTPRoutes and GRPCRoutes read those routes the same way.
	HTTPRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.HTTPRoute
	GRPCRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.GRPCRoute
}

// Changed is what changed since the last TakeChanged, by key.
type Changed struct {
	// Endpoints are the Services ("namespace/name") whose EndpointSlices changed.
	Endpoints map[string]bool
	// TLSRoutes, HTTPRoutes and GRPCRoutes are the routes of each kind created, changed or deleted.
	TLSRoutes, HTTPRoutes, GRPCRoutes map[types.NamespacedName]bool
	// Other is set when anything else changed, or nothing was taken yet: only a full pass covers it.
	Other bool
}

// notifier is a change signal that coalesces: many notifications before a read count as one.
type notifier chan struct{}

func newNotifier() notifier { return make(notifier, 1) }

func (n notifier) notify() {
	select {
	case n <- struct{}{}:
	default:
	}
}
