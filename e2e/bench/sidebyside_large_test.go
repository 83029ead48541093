package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// sideBySideLargeRoutes is how many routes each Gateway has for the side-by-side figures at the
// largest size; largeBound bounds each wait at that size.
const (
	sideBySideLargeRoutes = 10000
	largeBound            = 10 * time.Minute
)

// sideRoutes are the Passthrough routes from up to to (not included) of each product's Gateway,
// named <gateway>-NNNNN, and their hostnames, side-NNNNN.bench.test on both.
func sideRoutes(products []product, from, to int) ([][]*gatewayv1.TLSRoute, []string) {
	routes := make([][]*gatewayv1.TLSRoute, len(products))
	var names []string
	for i := from; i < to; i++ {
		name := fmt.Sprintf("side-%05d.bench.test", i)
		for j, p := range products {
			routes[j] = append(routes[j], tlsRouteOn(p.gateway, fmt.Sprintf("%s-%05d", p.gateway, i), sideBySideTier, "passthrough", name, "passthrough", 9443))
		}
		names = append(names, name)
	}
	return routes, names
}

// interleaved lists the first route of each product, then the second of each, and so on: created
// in that order, both products get their routes at the same pace.
func interleaved(routes [][]*gatewayv1.TLSRoute) []client.Object {
	var all []client.Object
	for i := range routes[0] {
		for j := range routes {
			all = append(all, routes[j][i])
		}
	}
	return all
}

// sideRouteOf tells the sideRoutes of gateway from its other routes.
func sideRouteOf(gateway string) func(client.Object) bool {
	return func(o client.Object) bool {
		n, ok := strings.CutPrefix(o.GetName(), gateway+"-")
		return ok && len(n) == 5 && strings.Trim(n, "0123456789") == ""
	}
}

// pairedGrowth creates routes on both products at once (interleaved, 32 at a time) and waits until
// each product has every one of its sideRoutes, total in all, Accepted and every new hostname
// reaching the backend, whose certificate is backendCert.
func (r *rig) pairedGrowth(products []product, routes [][]*gatewayv1.TLSRoute, names []string, total int, backendCert []byte) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), largeBound)
	defer cancel()
	accepted := make([]<-chan time.Time, len(products))
	for j, p := range products {
		accepted[j] = r.watchAccepted(ctx, &gatewayv1.TLSRouteList{}, p.controller, total, sideRouteOf(p.gateway), nil)
	}
	r.createConcurrently(interleaved(routes), 32)
	last := time.Now()
	var wg sync.WaitGroup
	for j, p := range products {
		wg.Go(func() {
			routable := r.waitBackends(p, names, last, backendCert)
			select {
			case at := <-accepted[j]:
				r.t.Logf("side by side, %d routes added to %s: all routable %s and all Accepted %s after the last create",
					len(names), p.name, routable.Round(time.Millisecond), at.Sub(last).Round(time.Millisecond))
			case <-ctx.Done():
				r.t.Errorf("%s: not every route Accepted within %s", p.name, largeBound)
			}
		})
	}
	wg.Wait()
}

// waitBackends waits until each of names reaches the backend, whose certificate is backendCert,
// through p, one after the other, and returns the time from start until the last one did.
func (r *rig) waitBackends(p product, names []string, start time.Time, backendCert []byte) time.Duration {
	for _, name := range names {
		if _, err := WaitBackend(start, p.address+":443", name, backendCert, 5*time.Millisecond, largeBound); err != nil {
			r.t.Errorf("%s: %v", p.name, err)
			return 0
		}
	}
	return time.Since(start)
}

// pairedColdStart stops both products (stop), clears the status of every route, starts both at once
// (start, which returns each one's start time) and measures from each one's start when a sample
// of 100 of names all reached the backend, and when routes of its sideRoutes were all Accepted.
func (r *rig) pairedColdStart(products []product, routes int, names []string, backendCert []byte, stop func(), start func() []time.Time) []PairedFigure {
	r.t.Helper()
	stop()
	cleared := r.clearRouteStatuses(sideBySideTier)
	ctx, cancel := context.WithTimeout(context.Background(), largeBound)
	defer cancel()
	accepted := make([]<-chan time.Time, len(products))
	for j, p := range products {
		accepted[j] = r.watchAccepted(ctx, &gatewayv1.TLSRouteList{}, p.controller, routes, sideRouteOf(p.gateway), nil)
	}
	var sample []string
	for i := 0; i < len(names); i += max(len(names)/100, 1) {
		sample = append(sample, names[i])
	}
	started := start()
	routable, all := make([]time.Duration, len(products)), make([]time.Duration, len(products))
	var wg sync.WaitGroup
	for j, p := range products {
		wg.Go(func() {
			routable[j] = r.waitBackends(p, sample, started[j], backendCert)
			select {
			case at := <-accepted[j]:
				all[j] = at.Sub(started[j])
			case <-ctx.Done():
				r.t.Errorf("%s: not every route Accepted within %s of its cold start", p.name, largeBound)
			}
		})
	}
	wg.Wait()
	r.t.Logf("side by side, cold start with %d routes each (%d statuses cleared): routable %v, Accepted %v", routes, cleared, routable, all)
	n := count(routes)
	return []PairedFigure{
		{Figure: fmt.Sprintf("Cold start, %s routes: sampled hostnames routable", n), Unit: "ms", Ours: millis(routable[0]), Peer: millis(routable[1]), LowerIsBetter: true, AheadBy: 1,
			Detail: fmt.Sprintf("from each one's start, both started at once with every route's status cleared, to %d sampled hostnames each reaching the backend", len(sample))},
		{Figure: fmt.Sprintf("Cold start, %s routes: all Accepted", n), Unit: "ms", Ours: millis(all[0]), Peer: millis(all[1]), LowerIsBetter: true, AheadBy: 1,
			Detail: "from each one's start to every route's status, watched; both write to the same API server at once"},
	}
}

// clearRouteStatuses empties the status of every TLSRoute of tier, 32 at a time, as if no
// controller had written one, and returns how many it cleared.
func (r *rig) clearRouteStatuses(tier string) int {
	r.t.Helper()
	var list gatewayv1.TLSRouteList
	if err := r.client.List(context.Background(), &list, client.InNamespace(namespace), client.MatchingLabels{tierLabel: tier}); err != nil {
		r.t.Fatal(err)
	}
	work := make(chan *gatewayv1.TLSRoute)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for route := range work {
				route.Status.Parents = []gatewayv1.RouteParentStatus{}
				if err := r.client.Status().Update(context.Background(), route); err != nil {
					r.t.Errorf("clear the status of %s: %v", route.Name, err)
				}
			}
		})
	}
	cleared := 0
	for i := range list.Items {
		if len(list.Items[i].Status.Parents) > 0 {
			work <- &list.Items[i]
			cleared++
		}
	}
	close(work)
	wg.Wait()
	return cleared
}
