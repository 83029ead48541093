package bench

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// requestSamples requests per request latency figure, in requestBatches alternating between the
// large and the small Gateway, small enough that both see the same moments of a shared machine.
const requestSamples, requestBatches = 4000, 100

// httpBaseline is the HTTPRoutes beside the TLSRoutes: routes on the large Gateway, by tier as
// the TLSRoutes are (the deep route among the few), and fewSetupRoutes on the small one; and the
// hostnames of each Gateway's ordinary routes, where requests go.
func httpBaseline(routes int) (objects []client.Object, names, smallNames []string) {
	objects = append(objects, httpRouteOn(gatewayName, "http-deep", "few", httpHostnameOf("http-deep"), deepPrefix))
	for i := range routes - 1 {
		tier := "few"
		switch {
		case i >= midRoutes-1:
			tier = "full"
		case i >= fewRoutes-1:
			tier = "mid"
		}
		route := httpRoute("http", i, tier)
		objects = append(objects, route)
		names = append(names, httpHostnameOf(route.Name))
	}
	objects = append(objects, httpRouteOn(smallGatewayName, "http-small-deep", "small", httpHostnameOf("http-small-deep"), deepPrefix))
	for i := range fewSetupRoutes - 1 {
		name := fmt.Sprintf("http-small-%05d", i)
		objects = append(objects, httpRouteOn(smallGatewayName, name, "small", httpHostnameOf(name), appPrefix))
		smallNames = append(smallNames, httpHostnameOf(name))
	}
	return objects, names, smallNames
}

// httpLargest creates routes HTTPRoutes beside as many TLSRoutes (and fewSetupRoutes on the small
// Gateway) while no controller runs, starts one on them, and once every HTTPRoute is Accepted
// measures request latency against the small Gateway and HTTPRoute convergence, then profiles the
// controller while more HTTPRoutes are added. The statuses are waited for because writing them
// competes with a change's pass, which is the cold start's figure, not this one. names are the
// large Gateway's HTTP hostnames.
func (r *rig) httpLargest(routes int, tlsName string) (c HTTPConvergence, requests []RequestLatency, profile Profile, names []string) {
	r.t.Helper()
	objects, names, smallNames := httpBaseline(routes)
	start := time.Now()
	r.createConcurrently(objects, 32)
	r.t.Logf("created %d HTTPRoutes in %s", len(objects), time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	accepted := r.watchRoutesAccepted(ctx, &gatewayv1.HTTPRouteList{}, len(objects))
	phase := fmt.Sprintf("%d TLSRoutes and %d HTTPRoutes", routes, routes)
	p, address := r.warmStart(fmt.Sprintf("http-%d", routes), 2*routes, tlsName, names[0])
	select {
	case at := <-accepted:
		r.t.Logf("%s: every HTTPRoute Accepted %s after the controller started", phase, at.Sub(p.Started).Round(time.Millisecond))
	case <-ctx.Done():
		r.t.Fatalf("%s: not every HTTPRoute Accepted within the bound", phase)
	}
	var smallAddress string
	r.eventually("small Gateway Programmed", time.Minute, func() error {
		var err error
		smallAddress, err = r.namedGatewayReady(smallGatewayName, 2*fewSetupRoutes, 2*fewSetupRoutes)
		return err
	})
	r.phaseStarted(p)
	requests = r.requestLatency(address, names, routes, smallAddress, smallNames, fewSetupRoutes)
	c = r.httpConvergence(address, routes)
	c.Reloads = r.reloads(p, phase+": HTTP request latency, HTTPRoute convergence")
	profile = r.profileHTTPConvergence(p, address, routes)
	p.stop()
	return c, requests, profile, names
}

// httpPhaseConvergence is HTTPRoute convergence with existing HTTPRoutes, and the reloads from
// its start to its end.
func (r *rig) httpPhaseConvergence(p *controllerProcess, address string, existing int) HTTPConvergence {
	r.t.Helper()
	r.phaseStarted(p)
	c := r.httpConvergence(address, existing)
	c.Reloads = r.reloads(p, fmt.Sprintf("%d TLSRoutes and %d HTTPRoutes: HTTPRoute convergence", existing, existing))
	return c
}

// httpConvergence creates newRoutes HTTPRoutes one at a time and times each from just before its
// create to the first request with its hostname that the backend answers through the gateway.
func (r *rig) httpConvergence(address string, existing int) HTTPConvergence {
	r.t.Helper()
	prefix := fmt.Sprintf("http-new-%d", existing)
	c := HTTPConvergence{Existing: existing}
	c.Latency, c.Watched = r.timeNewRoutes(&gatewayv1.HTTPRouteList{}, nil, func(i int) (client.Object, func(time.Time) (time.Duration, error)) {
		route := httpRoute(prefix, i, "new")
		return route, func(start time.Time) (time.Duration, error) {
			return WaitHTTPRoutable(start, address+":80", httpHostnameOf(route.Name), requestPath, time.Millisecond, 10*time.Second)
		}
	})
	r.t.Logf("HTTPRoute convergence with %d HTTPRoutes: %+v; the benchmark's watch saw the creates after %+v", existing, c.Latency, c.Watched)
	return c
}

// requestLatency times HTTP requests through the HTTP listeners of the large Gateway and the
// small one, in alternating batches on the same HAProxy, each batch over a keep-alive connection
// of its own. Both cycle through as many hostnames, the small Gateway's ordinary routes and as
// many of the large one's spread over all of them, so that HAProxy reuses its connections to as
// many backends on each: the number of routes is what differs. A first round of each, not
// timed, opens those connections. HAProxy serves a client connection on one thread for its
// whole life, and on two shared cores one thread can be slower than the other for seconds: a
// connection a batch spreads each Gateway's samples over both, where one connection each would
// compare two threads rather than two Gateways.
func (r *rig) requestLatency(address string, names []string, routes int, smallAddress string, smallNames []string, smallRoutes int) []RequestLatency {
	r.t.Helper()
	large := make([]string, len(smallNames))
	for i := range large {
		large[i] = names[i*len(names)/len(large)]
	}
	largeConn, smallConn := NewHTTPConn(address+":80", 2*time.Second), NewHTTPConn(smallAddress+":80", 2*time.Second)
	defer largeConn.Close()
	defer smallConn.Close()
	gateways := []struct {
		conn  *HTTPConn
		hosts []string
	}{{largeConn, large}, {smallConn, smallNames}}
	for _, w := range gateways {
		if _, failed := RequestLatencies(w.conn, w.hosts, requestPath, len(w.hosts), 10*time.Second); failed > 0 {
			r.t.Fatalf("HTTP request latency: %d of the first round's requests failed", failed)
		}
	}
	var largeSamples, smallSamples []time.Duration
	var largeFailed, smallFailed int
	per := requestSamples / requestBatches
	// A new connection's first request, not timed, is the one that may wait for HAProxy to find
	// a backend connection on its thread.
	reconnect := func() {
		for _, w := range gateways {
			w.conn.Close()
			if _, failed := RequestLatencies(w.conn, w.hosts, requestPath, 1, 10*time.Second); failed > 0 {
				r.t.Fatalf("HTTP request latency: a new connection's first request failed")
			}
		}
	}
	batch := func(onLarge bool) {
		if onLarge {
			s, f := RequestLatencies(largeConn, large, requestPath, per, time.Minute)
			largeSamples, largeFailed = append(largeSamples, s...), largeFailed+f
			return
		}
		s, f := RequestLatencies(smallConn, smallNames, requestPath, per, time.Minute)
		smallSamples, smallFailed = append(smallSamples, s...), smallFailed+f
	}
	// Which Gateway goes first changes every batch, so neither always follows the other.
	for i := range requestBatches {
		reconnect()
		batch(i%2 == 0)
		batch(i%2 == 1)
	}
	out := []RequestLatency{
		{Routes: smallRoutes, Latency: Summarize(smallSamples, smallFailed)},
		{Routes: routes, Latency: Summarize(largeSamples, largeFailed)},
	}
	r.t.Logf("HTTP request latency: %d HTTPRoutes %+v; %d HTTPRoutes %+v", out[0].Routes, out[0].Latency, out[1].Routes, out[1].Latency)
	return out
}
