package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// watchRoutesAccepted returns a channel that receives the time at which every one of want routes
// of list's kind (TLSRouteList or HTTPRouteList) has our parent entry Accepted and ResolvedRefs for
// its current generation. Routes of the "new" tier, created while the statuses are written, are
// not counted.
func (r *rig) watchRoutesAccepted(ctx context.Context, list client.ObjectList, want int) <-chan time.Time {
	r.t.Helper()
	return r.watchAccepted(ctx, list, controllerID, want, countedRoute, nil)
}

// countedRoute tells the routes a phase counts from the new ones its convergence figure adds.
func countedRoute(route client.Object) bool { return route.GetLabels()[tierLabel] != "new" }

// watchRoutesAcceptedListed is watchRoutesAccepted for want routes that exist already: it returns
// once the watch has delivered every one of them, so that the benchmark's own reading of
// thousands of routes is done before what it measures starts, rather than competing with it for
// the API server and the CPU.
func (r *rig) watchRoutesAcceptedListed(ctx context.Context, list client.ObjectList, want int) <-chan time.Time {
	r.t.Helper()
	listed := make(chan struct{})
	done := r.watchAccepted(ctx, list, controllerID, want, countedRoute, sync.OnceFunc(func() { close(listed) }))
	select {
	case <-listed:
	case <-ctx.Done():
		r.t.Fatalf("the watch of %d routes did not deliver them all: %v", want, ctx.Err())
	}
	return done
}

// watchAccepted returns a channel that receives the time at which want of the routes of list's
// kind for which counted is true have controller's parent entry Accepted and ResolvedRefs for their
// current generation. It watches instead of listing, so thousands of routes cost the API server
// one stream; a watch the API server ends (it ends those that fall behind a burst of events) is
// started again, and counts again from the state it begins with. listed, unless nil, is called
// once the watch has delivered want of those routes, Accepted or not.
func (r *rig) watchAccepted(ctx context.Context, list client.ObjectList, controller gatewayv1.GatewayController, want int, counted func(client.Object) bool, listed func()) <-chan time.Time {
	r.t.Helper()
	done := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			w, err := r.client.Watch(ctx, list, client.InNamespace(namespace))
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if at, ok := countAccepted(w, controller, want, counted, listed); ok {
				done <- at
				return
			}
		}
	}()
	return done
}

// countAccepted reads w until want of the routes for which counted is true are Accepted by
// controller, and returns when that happened; false when w ended first. listed, unless nil, is
// called once want of those routes have had an event.
func countAccepted(w watch.Interface, controller gatewayv1.GatewayController, want int, counted func(client.Object) bool, listed func()) (time.Time, bool) {
	defer w.Stop()
	accepted := map[string]bool{}
	seen := map[string]bool{}
	count := 0
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			return time.Time{}, false
		}
		route, ok := ev.Object.(client.Object)
		if !ok || !counted(route) {
			continue
		}
		if listed != nil && len(seen) < want {
			if seen[route.GetName()] = true; len(seen) == want {
				listed()
			}
		}
		now := ev.Type != watch.Deleted && routeAcceptedBy(route, controller)
		if now != accepted[route.GetName()] {
			accepted[route.GetName()] = now
			if now {
				count++
			} else {
				count--
			}
		}
		if count == want {
			return time.Now(), true
		}
	}
	return time.Time{}, false
}

// routeAccepted reports whether a TLSRoute or HTTPRoute has our parent entry Accepted and
// ResolvedRefs for its current generation.
func routeAccepted(route client.Object) bool { return routeAcceptedBy(route, controllerID) }

// routeAcceptedBy is routeAccepted for the parent entry of the controller named controller.
func routeAcceptedBy(route client.Object, controller gatewayv1.GatewayController) bool {
	var parents []gatewayv1.RouteParentStatus
	switch o := route.(type) {
	case *gatewayv1.TLSRoute:
		parents = o.Status.Parents
	case *gatewayv1.HTTPRoute:
		parents = o.Status.Parents
	}
	for _, p := range parents {
		if p.ControllerName != controller {
			continue
		}
		for _, ct := range []string{"Accepted", "ResolvedRefs"} {
			c := meta.FindStatusCondition(p.Conditions, ct)
			if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != route.GetGeneration() {
				return false
			}
		}
		return true
	}
	return false
}

// gatewayAddress waits until the Gateway publishes an address (before it is Programmed).
func (r *rig) gatewayAddress(ctx context.Context) (string, error) {
	for ctx.Err() == nil {
		var gw gatewayv1.Gateway
		if err := r.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: gatewayName}, &gw); err == nil && len(gw.Status.Addresses) == 1 {
			return gw.Status.Addresses[0].Value, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", ctx.Err()
}

// sampleRoutable returns when every name answered through addr once, and the time the last one
// first answered. While none answers it tries one name at a time, sampleProbeEvery apart (an
// unknown name is refused at once, so waiting costs the machine little); when one answers, every
// name still unanswered is tried at once by sampleClients clients, so that the time is that of
// HAProxy serving the names rather than of a few clients taking their turns through them on a
// busy machine. Names that still fail are tried again sampleRoundPause later, one at a time.
func sampleRoutable(ctx context.Context, addr string, names []string) (time.Time, error) {
	pending := names
	var last time.Time
	for next := 0; len(pending) > 0; next++ {
		if ctx.Err() != nil {
			return last, fmt.Errorf("%d of %d sampled names not routable: %w", len(pending), len(names), ctx.Err())
		}
		probe := pending[next%len(pending)]
		if Reach(addr, probe, time.Second) != nil {
			time.Sleep(sampleProbeEvery)
			continue
		}
		last = time.Now()
		pending = slices.DeleteFunc(slices.Clone(pending), func(n string) bool { return n == probe })
		var answered time.Time
		_, pending, answered = reachEach(addr, pending, sampleClients, time.Second, time.Time{})
		if answered.After(last) {
			last = answered
		}
		if len(pending) > 0 {
			time.Sleep(sampleRoundPause)
		}
	}
	return last, nil
}

const (
	sampleProbeEvery = 5 * time.Millisecond
	sampleClients    = 32
	sampleRoundPause = 100 * time.Millisecond
)

// verifyRoutable connects once to every name with a few workers and counts failures.
func verifyRoutable(addr string, names []string, bound time.Duration) (checked, failed int) {
	checked, failedNames, _ := reachEach(addr, names, 4, 2*time.Second, time.Now().Add(bound))
	return checked, len(failedNames)
}

// reachEach tries names through addr once each, with clients clients, each connection bounded by
// timeout, until deadline (zero: all of them); it returns how many it tried, those tried that did
// not answer, and when the last one that did answered.
func reachEach(addr string, names []string, clients int, timeout time.Duration, deadline time.Time) (tried int, failed []string, last time.Time) {
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(clients, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				err := Reach(addr, name, timeout)
				mu.Lock()
				tried++
				if err != nil {
					failed = append(failed, name)
				} else {
					last = time.Now()
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range names {
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		work <- n
	}
	close(work)
	wg.Wait()
	return tried, failed, last
}
