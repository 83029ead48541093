package bench

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The side-by-side phase: each convergence figure takes this many new routes on each product, as
// many as the convergence figures of one product (newRoutes); sideBySideRoutes is the number of
// routes each Gateway has for the figures at that size.
const (
	sideBySideSamples = newRoutes
	sideBySideRoutes  = 1000
	// sideBySideSetup connections per product for connection set-up, in as many batches as the
	// other figures alternate in.
	sideBySideSetup = 1000
	sideBySideTier  = "side"
)

// product is one Gateway API implementation in the side-by-side phase: its Gateway's name and
// address, the processes whose memory is its footprint (by what they are) and the one that
// carries the traffic.
type product struct {
	name, gateway, address string
	controller             gatewayv1.GatewayController
	processes              func() map[string]int
	proxy                  func() int
}

// sideBySide runs our controller and the peer at the same time on the same API server, each with
// its Gateway of the same shape, the same routes and backends, and measures each figure on both,
// alternating in rounds so both see the same load. No route is on either Gateway when it starts;
// it leaves none.
func (r *rig) sideBySide(certs certificates) *SideBySide {
	r.t.Helper()
	ours, ourAddress := r.warmStart("side-by-side", 0, "", "")
	// Both are started again for the cold start; the products' functions read these variables.
	defer func() { ours.stop() }()
	r.create(traefikGatewayClass(), traefikGateway())
	peerProcess := r.startTraefik("side-by-side")
	defer func() { peerProcess.stop() }()
	peerAddress := r.waitTraefik(peerProcess, 2*time.Minute)
	products := []product{
		{name: "haproxy-gateway", gateway: gatewayName, address: ourAddress, controller: controllerID,
			processes: func() map[string]int {
				procs := r.showProc(ours)
				return map[string]int{"controller": ours.Cmd.Process.Pid, "HAProxy master": procs.Master, "HAProxy worker": procs.Worker}
			},
			proxy: func() int { return r.showProc(ours).Worker }},
		{name: "Traefik", gateway: traefikGatewayName, address: peerAddress, controller: traefikControllerID,
			processes: func() map[string]int { return map[string]int{"Traefik": peerProcess.Cmd.Process.Pid} },
			proxy:     func() int { return peerProcess.Cmd.Process.Pid }},
	}
	s := &SideBySide{Peer: "Traefik " + traefikVersion(r.t), PeerCommand: "traefik " + strings.Join(traefikFlags, " ")}

	// The routes of the data-plane figures: a Terminate route per certificate, and a Passthrough
	// route for bulk transfers.
	const bulkHostname = "bulk.bench.test"
	for _, p := range products {
		r.create(
			tlsRouteOn(p.gateway, p.gateway+"-ecdsa", sideBySideTier, "terminate-ecdsa", "ecdsa.bench.test", "plain", 9080),
			tlsRouteOn(p.gateway, p.gateway+"-rsa", sideBySideTier, "terminate-rsa", "rsa.bench.test", "plain", 9080),
			tlsRouteOn(p.gateway, p.gateway+"-bulk", sideBySideTier, "passthrough", bulkHostname, "passthrough", 9443))
	}
	for _, p := range products {
		r.eventually(p.name+" serves the data-plane routes", 2*time.Minute, func() error {
			for _, c := range []struct{ port, sni string }{{"8443", "ecdsa.bench.test"}, {"8444", "rsa.bench.test"}, {"443", bulkHostname}} {
				if err := Reach(p.address+":"+c.port, c.sni, time.Second); err != nil {
					return err
				}
			}
			return nil
		})
	}

	otherCert := r.sideEndpointsSetUp(products)
	for _, p := range products {
		if _, err := WaitBackend(time.Now(), p.address+":443", sideEndpointsHostname, certs.passthrough.CertPEM, 10*time.Millisecond, 2*time.Minute); err != nil {
			r.t.Fatalf("%s: %v", p.name, err)
		}
	}

	s.Figures = append(s.Figures, r.pairedConvergence(products, 0, certs.passthrough.CertPEM)...)
	s.Figures = append(s.Figures, r.pairedEndpoints(products, [2][]byte{certs.passthrough.CertPEM, otherCert}))
	s.Figures = append(s.Figures, r.pairedHandshakes(products)...)
	s.Figures = append(s.Figures, r.pairedThroughput(products, bulkHostname))

	routes, names := sideRoutes(products, 0, sideBySideRoutes)
	s.Figures = append(s.Figures, r.pairedBurst(products, routes, certs.passthrough.CertPEM)...)
	s.Figures = append(s.Figures, r.pairedMemory(products, sideBySideRoutes))
	s.Figures = append(s.Figures, r.pairedSetup(products, names))
	reloadsBefore := r.showProc(ours).Reloads
	var converged []PairedFigure
	failed := underLoad(products, names[0], func() {
		converged = r.pairedConvergence(products, sideBySideRoutes, certs.passthrough.CertPEM)
	})
	s.Figures = append(s.Figures, converged...)
	s.Figures = append(s.Figures, PairedFigure{Figure: fmt.Sprintf("Failed connections to a route while %d routes were added", sideBySideSamples),
		Unit: "failed", Ours: float64(failed[0]), Peer: float64(failed[1]), LowerIsBetter: true, Count: true, AheadBy: 1,
		Detail: fmt.Sprintf("one client each, new connections one after the other; HAProxy reloads meanwhile: %d; Traefik's process ran throughout", r.showProc(ours).Reloads-reloadsBefore)})

	// The largest size: both grown to sideBySideLargeRoutes routes at once, then convergence,
	// memory and a cold start.
	more, moreNames := sideRoutes(products, sideBySideRoutes, sideBySideLargeRoutes)
	r.pairedGrowth(products, more, moreNames, sideBySideLargeRoutes, certs.passthrough.CertPEM)
	s.Figures = append(s.Figures, r.pairedConvergence(products, sideBySideLargeRoutes, certs.passthrough.CertPEM)...)
	s.Figures = append(s.Figures, r.pairedMemory(products, sideBySideLargeRoutes))
	s.Figures = append(s.Figures, r.pairedColdStart(products, sideBySideLargeRoutes, append(names, moreNames...), certs.passthrough.CertPEM,
		func() { ours.stop(); peerProcess.stop() },
		func() []time.Time {
			ours, peerProcess = r.startController("side-by-side-cold-start"), r.startTraefik("side-by-side-cold-start")
			return []time.Time{ours.Started, peerProcess.Started}
		})...)
	// Tens of thousands of deletes go quicker without two controllers taking each one in.
	ours.stop()
	peerProcess.stop()
	r.deleteTiers(sideBySideTier)
	if err := r.client.Delete(context.Background(), endpointSlice(sideEndpointsService, "tls", 9443)); err != nil {
		r.t.Fatal(err)
	}
	if err := r.client.Delete(context.Background(), service(sideEndpointsService, "tls", 9443)); err != nil {
		r.t.Fatal(err)
	}
	if err := r.client.Delete(context.Background(), traefikGateway()); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// pairedConvergence is route convergence on both products: a new Passthrough route on each in
// turn (the order alternating), timed from just before its create to the first handshake through
// its Gateway with the backend, whose certificate is backendCert.
func (r *rig) pairedConvergence(products []product, existing int, backendCert []byte) []PairedFigure {
	r.t.Helper()
	samples := make([][]time.Duration, len(products))
	failed := make([]int, len(products))
	for i := range sideBySideSamples {
		for k := range products {
			j := (i + k) % len(products)
			p := products[j]
			hostname := fmt.Sprintf("new-%d-%03d.bench.test", existing, i)
			route := tlsRouteOn(p.gateway, fmt.Sprintf("%s-new-%d-%03d", p.gateway, existing, i), sideBySideTier, "passthrough", hostname, "passthrough", 9443)
			start := time.Now()
			r.create(route)
			if d, err := WaitBackend(start, p.address+":443", hostname, backendCert, time.Millisecond, 30*time.Second); err != nil {
				failed[j]++
				r.t.Logf("%s: %v", p.name, err)
			} else {
				samples[j] = append(samples[j], d)
			}
			time.Sleep(convergencePause)
		}
	}
	ours, peer := Summarize(samples[0], failed[0]), Summarize(samples[1], failed[1])
	r.t.Logf("side by side, route convergence with %d routes: ours %+v, peer %+v", existing, ours, peer)
	detail := fmt.Sprintf("%d and %d new routes, %d and %d failed", ours.N, peer.N, ours.Failed, peer.Failed)
	figure := fmt.Sprintf("Route convergence, %s routes present", count(existing))
	return []PairedFigure{
		{Figure: figure + ", p50", Unit: "ms", Ours: millis(ours.P50), Peer: millis(peer.P50), LowerIsBetter: true, AheadBy: 2, Detail: detail},
		{Figure: figure + ", p99", Unit: "ms", Ours: millis(ours.P99), Peer: millis(peer.P99), LowerIsBetter: true, AheadBy: 2, Detail: detail},
	}
}

// pairedHandshakes is Terminate connections per second on both products for each certificate:
// full handshakes then the backend's first byte, alternating rounds; with the proxy's CPU time
// per connection, which the clients' share of the machine does not blur.
func (r *rig) pairedHandshakes(products []product) []PairedFigure {
	r.t.Helper()
	var out []PairedFigure
	for _, c := range []struct{ name, port, sni string }{{"ECDSA P-256", "8443", "ecdsa.bench.test"}, {"RSA-2048", "8444", "rsa.bench.test"}} {
		rates := make([][]float64, len(products))
		failed := make([]int, len(products))
		cpu, clientCPU, conns := make([]float64, len(products)), make([]float64, len(products)), make([]float64, len(products))
		for round := range handshakeRounds {
			for k := range products {
				j := (round + k) % len(products)
				pid := fmt.Sprint(products[j].proxy())
				before, clientBefore := r.cpuSeconds(pid), r.cpuSeconds("self")
				rate, f, err := HandshakeRate(products[j].address+":"+c.port, c.sni, handshakeWorkers, handshakeSeconds*time.Second)
				if err != nil {
					r.t.Fatalf("%s handshakes through %s: %v", c.name, products[j].name, err)
				}
				cpu[j] += r.cpuSeconds(pid) - before
				clientCPU[j] += r.cpuSeconds("self") - clientBefore
				conns[j] += rate * handshakeSeconds
				rates[j], failed[j] = append(rates[j], rate), failed[j]+int(f)
			}
		}
		r.t.Logf("side by side, %s Terminate connections/s: ours %v, peer %v; proxy CPU s %v, clients' and backends' CPU s %v for %v connections", c.name, rates[0], rates[1], cpu, clientCPU, conns)
		ourCPU, peerCPU := cpu[0]/conns[0]*1e6, cpu[1]/conns[1]*1e6
		out = append(out, PairedFigure{Figure: handshakesFigure + c.name, Unit: "/s",
			Ours: Median(rates[0]), Peer: Median(rates[1]), AheadBy: 2, OursCPUMicros: ourCPU, PeerCPUMicros: peerCPU,
			OursClientCPUMicros: clientCPU[0] / conns[0] * 1e6, PeerClientCPUMicros: clientCPU[1] / conns[1] * 1e6,
			Detail: fmt.Sprintf("median of %d runs of %d clients for %d s each, %d and %d failed; proxy CPU per connection %.0f µs and %.0f µs",
				handshakeRounds, handshakeWorkers, handshakeSeconds, failed[0], failed[1], ourCPU, peerCPU)})
	}
	return out
}

// pairedThroughput is bulk throughput through the Passthrough listener of both products,
// alternating transfers.
func (r *rig) pairedThroughput(products []product, hostname string) PairedFigure {
	r.t.Helper()
	rates := make([][]float64, len(products))
	for round := range bulkRounds {
		for k := range products {
			j := (round + k) % len(products)
			mibs, err := Throughput(products[j].address+":443", hostname, bulkMiB<<20, time.Minute)
			if err != nil {
				r.t.Fatalf("bulk transfer through %s: %v", products[j].name, err)
			}
			rates[j] = append(rates[j], mibs)
		}
	}
	r.t.Logf("side by side, bulk throughput MiB/s: ours %v, peer %v", rates[0], rates[1])
	return PairedFigure{Figure: "Passthrough bulk throughput", Unit: "MiB/s", Ours: Median(rates[0]), Peer: Median(rates[1]), AheadBy: 1,
		Detail: fmt.Sprintf("median of %d transfers of %d MiB over one TLS connection each", bulkRounds, bulkMiB)}
}

// pairedSetup is connection set-up latency (TCP connect, TLS handshake with the backend through
// Passthrough, the backend's first line) through both products, in alternating batches cycling
// through names.
func (r *rig) pairedSetup(products []product, names []string) PairedFigure {
	r.t.Helper()
	samples := make([][]time.Duration, len(products))
	failed := make([]int, len(products))
	const batches = 10
	for batch := range batches {
		for k := range products {
			j := (batch + k) % len(products)
			s, f := SetupLatencies(products[j].address+":443", names, sideBySideSetup/batches, time.Minute)
			samples[j], failed[j] = append(samples[j], s...), failed[j]+f
		}
	}
	ours, peer := Summarize(samples[0], failed[0]), Summarize(samples[1], failed[1])
	r.t.Logf("side by side, connection set-up with %d routes: ours %+v, peer %+v", len(names), ours, peer)
	return PairedFigure{Figure: fmt.Sprintf("Connection set-up, %s routes present, p50", count(len(names))), Unit: "ms",
		Ours: millis(ours.P50), Peer: millis(peer.P50), LowerIsBetter: true, AheadBy: 1,
		Detail: fmt.Sprintf("%d and %d connections, %d and %d failed; p99 %s and %s", ours.N, peer.N, ours.Failed, peer.Failed, ms(ours.P99), ms(peer.P99))}
}

// pairedMemory is the resident memory of each product's processes (our controller and HAProxy's
// master and worker; Traefik's one process) with the routes present.
func (r *rig) pairedMemory(products []product, routes int) PairedFigure {
	r.t.Helper()
	kib := make([]int64, len(products))
	var parts []string
	for i, p := range products {
		processes := p.processes()
		for _, what := range slices.Sorted(maps.Keys(processes)) {
			v, err := MemoryKiB(processes[what], "VmRSS")
			if err != nil {
				r.t.Fatal(err)
			}
			kib[i] += v
			parts = append(parts, fmt.Sprintf("%s %s", what, mib(v)))
		}
	}
	return PairedFigure{Figure: fmt.Sprintf("Memory with %s routes, controller and proxy", count(routes)), Unit: "MiB",
		Ours: float64(kib[0]) / 1024, Peer: float64(kib[1]) / 1024, LowerIsBetter: true, AheadBy: 1,
		Detail: "VmRSS: " + strings.Join(parts, ", ")}
}

// traefikVersion is the version the Traefik binary reports ("Version: v3.7.13").
func traefikVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(traefikBinary(t), "version").Output()
	if err != nil {
		t.Fatalf("traefik version: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("traefik version printed no version: %q", out)
	return ""
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
