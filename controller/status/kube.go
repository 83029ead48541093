package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// KubeWriter writes model status to the status subresources of the API objects. Only the elected
// leader should run one.
type KubeWriter struct {
	client         client.Client
	controllerName string
	log            logrus.FieldLogger
	now            func() time.Time // replaced in tests
	// OnWrite, when set, is told of each status update written.
	OnWrite func(kind string)

	// current is, per route, the desired status this writer last found in place or wrote. A
	// route desired the same again is not compared with the API object: most rounds then cost a
	// map lookup per route. Forget clears it (a new leader does not know what the last one
	// wrote).
	mu      sync.Mutex
	current map[routeKey]*knownRoute
	// round counts Writes, to find the routes a model no longer has without a set of those it has.
	round uint64
	// last is the routes of the last Write's model, and settled is set when that Write found or
	// wrote the desired status of every one of them: see unknownSince.
	last    []*model.Route
	settled bool
	// lastOrdered is set when last was found in the model's order; ordered when this round's
	// routes were (see unknownSince).
	lastOrdered, ordered bool
	// limit is how many route statuses are written at once, learned from the API server's
	// answers across rounds.
	limit *writeLimit
}

// knownRoute is a route's desired status as last found in place or written, and the last round
// whose model had the route.
type knownRoute struct {
	route *model.Route
	round uint64
}

// NewKubeWriter writes through c, which may read from a cache: a stale read ends in a conflict on
// update, and the retry reads again. controllerName tells our route parent entries from others'.
func NewKubeWriter(c client.Client, controllerName string, log logrus.FieldLogger) *KubeWriter {
	if log == nil {
		log = logrus.StandardLogger()
	}
	return &KubeWriter{client: c, controllerName: controllerName, log: log, now: time.Now, limit: newWriteLimit()}
}

// Write brings every GatewayClass, Gateway and route of the model to the model's status. Objects
// that are gone are skipped; objects whose status already matches are not written.
func (w *KubeWriter) Write(ctx context.Context, m *model.Model) error {
	// The API keeps whole seconds; a time with more precision would never read back equal.
	now := metav1.NewTime(w.now().Truncate(time.Second))
	var errs []error
	for _, c := range m.GatewayClasses {
		obj := &gatewayv1.GatewayClass{}
		errs = append(errs, w.update(ctx, "GatewayClass", obj, types.NamespacedName{Name: c.Name}, func() bool {
			next := obj.Status.DeepCopy()
			next.Conditions = mergeConditions(obj.Status.Conditions, c.Conditions, now)
			next.SupportedFeatures = nil
			for _, f := range c.SupportedFeatures {
				next.SupportedFeatures = append(next.SupportedFeatures, gatewayv1.SupportedFeature{Name: gatewayv1.FeatureName(f)})
			}
			return setIfChanged(&obj.Status, *next)
		}, nil))
	}
	for _, g := range m.Gateways {
		obj := &gatewayv1.Gateway{}
		errs = append(errs, w.update(ctx, "Gateway", obj, types.NamespacedName{Namespace: g.Namespace, Name: g.Name}, func() bool {
			return setIfChanged(&obj.Status, mergeGatewayStatus(obj.Status, g, now))
		}, nil))
	}
	for _, p := range m.BackendTLSPolicies {
		obj := &gatewayv1.BackendTLSPolicy{}
		errs = append(errs, w.update(ctx, "BackendTLSPolicy", obj, types.NamespacedName{Namespace: p.Namespace, Name: p.Name}, func() bool {
			next := obj.Status.DeepCopy()
			next.Ancestors = fitAncestors(mergeAncestors(obj.Status.Ancestors, p.Ancestors, w.controllerName, now), w.controllerName)
			return setIfChanged(&obj.Status, *next)
		}, nil))
	}
	// Most rounds change the status of no route, or of a few. Routes whose desired status is the
	// one known to be in place are skipped; the rest are compared with the cache in place, without
	// the private copy of each that update reads, and only those that differ go through update.
	// At 10,000 routes the copies were the largest cost of a pass.
	unknown := w.unknownRoutes(m.Routes)
	if len(unknown) == 0 {
		w.endRound(m.Routes, true)
		return errors.Join(errs...)
	}
	// Routes are written by a few workers at once, as many as w.limit lets write: one at a time,
	// a cold start with 10,000 routes spent most of a minute waiting for API round trips.
	routeErrs := make([]error, len(unknown))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(maxWriters, len(unknown)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.writeRoutes(ctx, m.Routes, unknown, next, routeErrs, now)
		}()
	}
	for k := range unknown {
		next <- k
	}
	close(next)
	wg.Wait()
	routesErr := errors.Join(routeErrs...)
	w.endRound(m.Routes, routesErr == nil)
	return errors.Join(append(errs, routesErr)...)
}

// writeRoutes brings to their status the routes unknown[k] for each k that arrives on next,
// recording each one's error at errs[k]; one of up to maxWriters running at once.
func (w *KubeWriter) writeRoutes(ctx context.Context, routes []*model.Route, unknown []int, next <-chan int, errs []error, now metav1.Time) {
	for k := range next {
		r := routes[unknown[k]]
		key := routeKey{r.Kind, r.Namespace, r.Name}
		if current, ok := w.cachedRouteStatus(ctx, r); ok &&
			equality.Semantic.DeepEqual(current.Parents, mergeRouteParents(current.Parents, r.Parents, w.controllerName, now)) {
			w.setCurrent(key, r)
			continue
		}
		if errs[k] = w.writeRoute(ctx, r, now); errs[k] == nil {
			w.setCurrent(key, r)
		}
	}
}

// unknownRoutes forgets the routes the model no longer has and returns the indexes of those whose
// desired status is not the one last found in place or written.
func (w *KubeWriter) unknownRoutes(routes []*model.Route) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.settled {
		if unknown, ok := w.unknownSince(routes); ok {
			return unknown
		}
	}
	w.round++
	var unknown []int
	known := 0
	for i, r := range routes {
		last, ok := w.current[routeKey{r.Kind, r.Namespace, r.Name}]
		if ok {
			last.round = w.round
			known++
		}
		if !ok || !sameParents(last.route.Parents, r.Parents) {
			unknown = append(unknown, i)
		}
	}
	if len(w.current) > known {
		for key, last := range w.current {
			if last.round != w.round {
				delete(w.current, key)
			}
		}
	}
	return unknown
}

// sameParents compares two desired route parent statuses field by field: the reflection of
// reflect.DeepEqual cost most of a status round at 10,000 routes. Conditions come from the build,
// without transition times.
func sameParents(a, b []gatewayv1.RouteParentStatus) bool {
	if model.SameSlice(a, b) {
		return true // the build reused the route's result: one list, never changed in place
	}
	return slices.EqualFunc(a, b, func(x, y gatewayv1.RouteParentStatus) bool {
		return x.ControllerName == y.ControllerName && sameParentRef(x.ParentRef, y.ParentRef) &&
			slices.EqualFunc(x.Conditions, y.Conditions, func(c, d metav1.Condition) bool {
				return c.Type == d.Type && c.Status == d.Status && c.Reason == d.Reason && c.Message == d.Message &&
					c.ObservedGeneration == d.ObservedGeneration && c.LastTransitionTime.Equal(&d.LastTransitionTime)
			})
	})
}

func sameParentRef(x, y gatewayv1.ParentReference) bool {
	return x.Name == y.Name && ptr.Equal(x.Group, y.Group) && ptr.Equal(x.Kind, y.Kind) && ptr.Equal(x.Namespace, y.Namespace) &&
		ptr.Equal(x.SectionName, y.SectionName) && ptr.Equal(x.Port, y.Port)
}

func (w *KubeWriter) setCurrent(key routeKey, r *model.Route) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.current == nil {
		w.current = map[routeKey]*knownRoute{}
	}
	w.current[key] = &knownRoute{route: r, round: w.round}
}

// RouteWriters is how many route statuses the writer may write at once now.
func (w *KubeWriter) RouteWriters() int { return w.limit.current() }

// Forget clears what the writer knows is in place, so the next Write compares every route with
// the API objects again.
func (w *KubeWriter) Forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.current, w.last, w.settled = nil, nil, false
}

type routeKey struct{ kind, namespace, name string }

// cachedRouteStatus is a route's status in the cache, not copied: it must only be read. False
// when it cannot be read; the route then goes through update.
func (w *KubeWriter) cachedRouteStatus(ctx context.Context, r *model.Route) (*gatewayv1.RouteStatus, bool) {
	obj, status := newRoute(r.Kind)
	if obj == nil {
		return nil, false
	}
	if err := w.client.Get(ctx, types.NamespacedName{Namespace: r.Namespace, Name: r.Name}, obj, client.UnsafeDisableDeepCopy); err != nil {
		return nil, false
	}
	return status, true
}

// newRoute returns an empty route of a kind and where its status is; nil for a kind that is not
// a route this controller serves.
func newRoute(kind string) (client.Object, *gatewayv1.RouteStatus) {
	switch kind {
	case "TLSRoute":
		route := &gatewayv1.TLSRoute{}
		return route, &route.Status.RouteStatus
	case "HTTPRoute":
		route := &gatewayv1.HTTPRoute{}
		return route, &route.Status.RouteStatus
	case "GRPCRoute":
		route := &gatewayv1.GRPCRoute{}
		return route, &route.Status.RouteStatus
	}
	return nil, nil
}

func (w *KubeWriter) writeRoute(ctx context.Context, r *model.Route, now metav1.Time) error {
	key := types.NamespacedName{Namespace: r.Namespace, Name: r.Name}
	obj, status := newRoute(r.Kind)
	if obj == nil {
		return fmt.Errorf("%s %s: unsupported route kind", r.Kind, key)
	}
	if !w.limit.acquire(ctx) {
		return ctx.Err()
	}
	var took time.Duration
	defer func() { w.limit.release(took) }()
	return w.update(ctx, r.Kind, obj, key, func() bool {
		next := status.DeepCopy()
		next.Parents = mergeRouteParents(status.Parents, r.Parents, w.controllerName, now)
		return setIfChanged(status, *next)
	}, &took)
}

// setIfChanged stores next in *current unless the two are semantically equal (nil and empty
// lists alike, times compared as instants), and reports whether it stored.
func setIfChanged[T any](current *T, next T) bool {
	if equality.Semantic.DeepEqual(*current, next) {
		return false
	}
	*current = next
	return true
}

// update reads obj into itself, lets change edit its status, and writes the status subresource
// if change reported a difference. A conflict reads again and recomputes, so another writer's
// entries that arrived in between are kept. took, when not nil, is set to the round trip of the
// update that succeeded.
func (w *KubeWriter) update(ctx context.Context, kind string, obj client.Object, key types.NamespacedName, change func() bool, took *time.Duration) error {
	written := false
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if err := w.client.Get(ctx, key, obj); err != nil {
			return err
		}
		if !change() {
			return nil
		}
		sent := time.Now()
		if err := w.client.Status().Update(ctx, obj); err != nil {
			return err
		}
		if took != nil {
			*took = time.Since(sent)
		}
		written = true
		if w.OnWrite != nil {
			w.OnWrite(kind)
		}
		return nil
	})
	name := key.Name
	if key.Namespace != "" {
		name = key.String()
	}
	log := w.log.WithFields(logrus.Fields{"kind": kind, "object": name})
	switch {
	case apierrors.IsNotFound(err):
		// Deleted since the snapshot was taken; the next build will not have it.
		log.Debug("status: object gone, skipped")
		return nil
	case err != nil:
		return fmt.Errorf("status of %s %s: %w", kind, name, err)
	case written:
		log.Debug("status updated")
	}
	return nil
}
