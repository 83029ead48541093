package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The side-by-side EndpointSlice figure moves one Service's endpoint between two TLS backends that
// present different certificates, so a connection through either product shows which one it
// reached; both products route that Service and see each update at the same moment.
const (
	sideEndpointsService  = "side-endpoints"
	sideEndpointsHostname = "endpoints.side.bench.test"
	// secondPassthroughBackend is the other backend, with a certificate of its own.
	secondPassthroughBackend = "10.244.1.5"
	sideEndpointUpdates      = 50
)

// sideEndpointsSetUp starts the second backend and creates the Service, its EndpointSlice (at the
// first backend) and a route to it on each product's Gateway. It returns the second backend's
// certificate.
func (r *rig) sideEndpointsSetUp(products []product) []byte {
	r.t.Helper()
	pair, err := testtls.New("*.bench.test")
	if err != nil {
		r.t.Fatal(err)
	}
	cert, _ := pair.TLSCertificate()
	b, err := ListenBackend(secondPassthroughBackend+":9443", &cert)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(b.Close)
	r.create(service(sideEndpointsService, "tls", 9443), endpointSlice(sideEndpointsService, "tls", 9443, passthroughBackend))
	for _, p := range products {
		r.create(tlsRouteOn(p.gateway, p.gateway+"-endpoints", sideBySideTier, "passthrough", sideEndpointsHostname, sideEndpointsService, 9443))
	}
	return pair.CertPEM
}

// pairedEndpoints is EndpointSlice propagation on both products: from just before an update that
// moves the Service's endpoint to the other backend until a connection through each product's
// Gateway reaches that backend (its certificate), both products polled at once.
func (r *rig) pairedEndpoints(products []product, certs [2][]byte) PairedFigure {
	r.t.Helper()
	var slice discoveryv1.EndpointSlice
	if err := r.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: sideEndpointsService + "-bench"}, &slice); err != nil {
		r.t.Fatal(err)
	}
	addresses := [2]string{passthroughBackend, secondPassthroughBackend}
	samples := make([][]time.Duration, len(products))
	failed := make([]int, len(products))
	for i := range sideEndpointUpdates {
		to := (i + 1) % 2
		slice.Endpoints = endpointSlice(sideEndpointsService, "tls", 9443, addresses[to]).Endpoints
		start := time.Now()
		if err := r.client.Update(context.Background(), &slice); err != nil {
			r.t.Fatal(err)
		}
		var wg sync.WaitGroup
		for j, p := range products {
			wg.Go(func() {
				d, err := WaitBackend(start, p.address+":443", sideEndpointsHostname, certs[to], time.Millisecond, 30*time.Second)
				if err != nil {
					failed[j]++
					r.t.Logf("%s: %v", p.name, err)
					return
				}
				samples[j] = append(samples[j], d)
			})
		}
		wg.Wait()
		time.Sleep(convergencePause)
	}
	ours, peer := Summarize(samples[0], failed[0]), Summarize(samples[1], failed[1])
	r.t.Logf("side by side, EndpointSlice propagation: ours %+v, peer %+v", ours, peer)
	return PairedFigure{Figure: "EndpointSlice propagation, p50", Unit: "ms", Ours: millis(ours.P50), Peer: millis(peer.P50), LowerIsBetter: true, AheadBy: 1,
		Detail: fmt.Sprintf("%d updates, %d and %d failed; p99 %s and %s", sideEndpointUpdates, ours.Failed, peer.Failed, ms(ours.P99), ms(peer.P99))}
}

// underLoad runs measure while each product carries a stream of new connections (one client each,
// one after the other) to a route that does not change, and returns how many of each failed.
func underLoad(products []product, hostname string, measure func()) []int64 {
	failed := make([]atomic.Int64, len(products))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for j, p := range products {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := Reach(p.address+":443", hostname, 2*time.Second); err != nil {
					failed[j].Add(1)
				}
			}
		})
	}
	measure()
	close(stop)
	wg.Wait()
	out := make([]int64, len(products))
	for j := range failed {
		out[j] = failed[j].Load()
	}
	return out
}

// pairedBurst creates Passthrough routes on both products at once (interleaved, 32 at a time) and
// measures, from the last create, when every one of their hostnames had reached the backend
// (whose certificate is backendCert) once through each product's Gateway and when each product
// had written every route's Accepted status.
func (r *rig) pairedBurst(products []product, routes [][]*gatewayv1.TLSRoute, backendCert []byte) []PairedFigure {
	r.t.Helper()
	r.createConcurrently(interleaved(routes), 32)
	last := time.Now()
	routable, accepted := make([]time.Duration, len(products)), make([]time.Duration, len(products))
	var wg sync.WaitGroup
	for j, p := range products {
		wg.Go(func() {
			for _, route := range routes[j] {
				if _, err := WaitBackend(last, p.address+":443", string(route.Spec.Hostnames[0]), backendCert, 5*time.Millisecond, 5*time.Minute); err != nil {
					r.t.Errorf("%s: %v", p.name, err)
					return
				}
			}
			routable[j] = time.Since(last)
		})
		wg.Go(func() {
			deadline := last.Add(5 * time.Minute)
			for time.Now().Before(deadline) {
				if r.acceptedBy(routes[j], p.controller) == len(routes[j]) {
					accepted[j] = time.Since(last)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			r.t.Errorf("%s: not every route Accepted within 5 minutes", p.name)
		})
	}
	wg.Wait()
	n := count(len(routes[0]))
	r.t.Logf("side by side, burst of %s routes each: routable %v, Accepted %v", n, routable, accepted)
	return []PairedFigure{
		{Figure: fmt.Sprintf("Burst of %s routes: all routable", n), Unit: "ms", Ours: millis(routable[0]), Peer: millis(routable[1]), LowerIsBetter: true, AheadBy: 1,
			Detail: "from the last create to every hostname answered once, one client trying the names in turn"},
		{Figure: fmt.Sprintf("Burst of %s routes: all Accepted", n), Unit: "ms", Ours: millis(accepted[0]), Peer: millis(accepted[1]), LowerIsBetter: true, AheadBy: 1,
			Detail: "from the last create to every route's status, watched by listing"},
	}
}

// acceptedBy counts the routes whose status the controller has Accepted on their parent.
func (r *rig) acceptedBy(routes []*gatewayv1.TLSRoute, controller gatewayv1.GatewayController) int {
	var list gatewayv1.TLSRouteList
	if err := r.client.List(context.Background(), &list, client.InNamespace(namespace), client.MatchingLabels{tierLabel: sideBySideTier}); err != nil {
		r.t.Logf("list TLSRoutes: %v", err)
		return 0
	}
	wanted := map[string]bool{}
	for _, route := range routes {
		wanted[route.Name] = true
	}
	n := 0
	for i := range list.Items {
		if wanted[list.Items[i].Name] && routeAcceptedBy(&list.Items[i], controller) {
			n++
		}
	}
	return n
}
