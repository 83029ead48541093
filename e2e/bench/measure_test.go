package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

// phaseStarted remembers the HAProxy worker and the reload counters, so reloads counts only
// what happened during the phase's measurements.
func (r *rig) phaseStarted(p *controllerProcess) {
	r.t.Helper()
	r.phaseProcs = r.showProc(p)
	var err error
	if r.phaseMetrics, err = p.MetricSamples("haproxy_gateway_"); err != nil {
		r.t.Fatal(err)
	}
}

// reloads counts what the controller's metrics and HAProxy's master say about reloads since
// phaseStarted.
func (r *rig) reloads(p *controllerProcess, phase string) ReloadCount {
	r.t.Helper()
	rc := ReloadCount{Phase: phase, MetricReloads: map[string]float64{}, StageSeconds: map[string]float64{}, StagePasses: map[string]float64{}}
	samples, err := p.MetricSamples("haproxy_gateway_")
	if err != nil {
		r.t.Fatal(err)
	}
	for sample, v := range samples {
		delta := v - r.phaseMetrics[sample]
		if reason, ok := strings.CutPrefix(sample, `haproxy_gateway_reloads_total{reason="`); ok && delta > 0 {
			rc.MetricReloads[strings.TrimSuffix(reason, `"}`)] = delta
		}
		if strings.HasPrefix(sample, "haproxy_gateway_runtime_operations_total{") {
			rc.RuntimeOperations += delta
		}
		switch sample {
		case "haproxy_gateway_endpoint_updates_total":
			rc.EndpointUpdates = delta
		case "haproxy_gateway_route_updates_total":
			rc.RouteUpdates = delta
		}
		if stage, ok := strings.CutPrefix(sample, `haproxy_gateway_pass_stage_seconds_sum{stage="`); ok {
			rc.StageSeconds[strings.TrimSuffix(stage, `"}`)] = delta
		}
		if stage, ok := strings.CutPrefix(sample, `haproxy_gateway_pass_stage_seconds_count{stage="`); ok {
			rc.StagePasses[strings.TrimSuffix(stage, `"}`)] = delta
		}
	}
	procs := r.showProc(p)
	rc.MasterReloads, rc.WorkerChanged = procs.Reloads-r.phaseProcs.Reloads, procs.Worker != r.phaseProcs.Worker
	r.t.Logf("%s: reloads %v, master reloads %d, worker changed %t, runtime operations %.0f, endpoint updates without a rebuild %.0f, route updates without a rebuild %.0f",
		phase, rc.MetricReloads, rc.MasterReloads, rc.WorkerChanged, rc.RuntimeOperations, rc.EndpointUpdates, rc.RouteUpdates)
	return rc
}

// startSteps reads the controller's start steps and the reloads that ran until the data plane was
// programmed; nil (logged) when the metrics do not have them.
func (r *rig) startSteps(p *controllerProcess) *StartSteps {
	r.t.Helper()
	samples, err := p.MetricSamples("haproxy_gateway_")
	if err != nil {
		r.t.Fatal(err)
	}
	step := func(name string) time.Duration {
		return time.Duration(samples[`haproxy_gateway_start_seconds{step="`+name+`"}`] * float64(time.Second))
	}
	steps := &StartSteps{HAProxyStarted: step("haproxy_started"), CachesSynced: step("caches_synced"), DataPlaneProgrammed: step("data_plane_programmed"),
		Reloads: int(samples["haproxy_gateway_reload_seconds_count"]), ReloadsTook: time.Duration(samples["haproxy_gateway_reload_seconds_sum"] * float64(time.Second))}
	r.t.Logf("start steps: %+v", *steps)
	if steps.DataPlaneProgrammed == 0 {
		return nil
	}
	return steps
}

// setupLatency times connections through the Passthrough listeners of the large Gateway and
// the small one, in alternating batches on the same HAProxy, cycling through each one's names.
func (r *rig) setupLatency(address string, names []string, routes int, smallAddress string, smallNames []string) []SetupLatency {
	r.t.Helper()
	var large, small []time.Duration
	var largeFailed, smallFailed int
	per := setupSamples / setupBatches
	for batch := range setupBatches {
		s, f := SetupLatencies(address+":443", names[(batch*per)%len(names):], per, time.Minute)
		large, largeFailed = append(large, s...), largeFailed+f
		s, f = SetupLatencies(smallAddress+":443", smallNames, per, time.Minute)
		small, smallFailed = append(small, s...), smallFailed+f
	}
	out := []SetupLatency{
		{Routes: len(smallNames), Latency: Summarize(small, smallFailed)},
		{Routes: routes, Latency: Summarize(large, largeFailed)},
	}
	r.t.Logf("connection set-up: %d routes %+v; %d routes %+v", out[0].Routes, out[0].Latency, out[1].Routes, out[1].Latency)
	return out
}

// convergence creates newRoutes Passthrough routes one at a time and times each from just
// before its create to its first connection through the gateway.
func (r *rig) convergence(address string, existing int) Convergence {
	r.t.Helper()
	c := Convergence{Existing: existing}
	c.Latency, c.Watched = r.newRoutesRoutable(fmt.Sprintf("new-%d", existing), address, nil)
	r.t.Logf("convergence with %d routes: %+v; the benchmark's watch saw the creates after %+v", existing, c.Latency, c.Watched)
	return c
}

// newRoutesRoutable creates up to newRoutes Passthrough routes named after prefix, in the "new"
// tier, one at a time, and times each from just before its create to its first connection
// through the gateway. It stops early when done is closed (nil: never) or after 5 minutes.
// watched times the same creates to their events at a watch of the benchmark's own.
func (r *rig) newRoutesRoutable(prefix, address string, done <-chan struct{}) (routable, watched Summary) {
	r.t.Helper()
	return r.timeNewRoutes(&gatewayv1.TLSRouteList{}, done, func(i int) (client.Object, func(time.Time) (time.Duration, error)) {
		route := passthroughRoute(prefix, i, "new")
		return route, func(start time.Time) (time.Duration, error) {
			return WaitRoutable(start, address+":443", hostnameOf(route.Name), time.Millisecond, 10*time.Second)
		}
	})
}

// timeNewRoutes creates up to newRoutes routes of list's kind from next, which also says how to
// wait until each is routable, one at a time, convergencePause apart, and times each from just
// before its create. It stops early when done is closed (nil: never) or after 5 minutes. watched
// times the same creates to their events at a watch of the benchmark's own; next's routes are in
// the "new" tier, which that watch follows.
func (r *rig) timeNewRoutes(list client.ObjectList, done <-chan struct{}, next func(i int) (client.Object, func(start time.Time) (time.Duration, error))) (routable, watched Summary) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrivals := r.watchArrivals(ctx, list, client.InNamespace(namespace), client.MatchingLabels{tierLabel: "new"})
	var samples, events []time.Duration
	failed, unseen := 0, 0
	deadline := time.Now().Add(5 * time.Minute)
	for i := 0; i < newRoutes && time.Now().Before(deadline); i++ {
		select {
		case <-done:
			return Summarize(samples, failed), Summarize(events, unseen)
		default:
		}
		route, wait := next(i)
		start := time.Now()
		r.create(route)
		d, err := wait(start)
		if err != nil {
			failed++
			r.t.Logf("%s: %v", route.GetName(), err)
		} else {
			samples = append(samples, d)
		}
		if d, ok := arrivals.since(start, route.GetResourceVersion()); ok {
			events = append(events, d)
		} else {
			unseen++
		}
		time.Sleep(convergencePause)
	}
	return Summarize(samples, failed), Summarize(events, unseen)
}

// profileConvergence takes a CPU profile of the controller while it adds TLSRoutes one at a time
// as in convergence, and keeps the top of it.
func (r *rig) profileConvergence(p *controllerProcess, address string, existing int) Profile {
	r.t.Helper()
	return r.profileNewRoutes(p, fmt.Sprintf("controller-cpu-%d.pprof", existing), fmt.Sprintf("routes were added one at a time to %s", count(existing)),
		func(i int) (client.Object, func(time.Time) error) {
			route := passthroughRoute(fmt.Sprintf("profiled-%d", existing), i, "new")
			return route, func(start time.Time) error {
				_, err := WaitRoutable(start, address+":443", hostnameOf(route.Name), time.Millisecond, 10*time.Second)
				return err
			}
		})
}

// profileHTTPConvergence is profileConvergence for HTTPRoutes, with existing HTTPRoutes (and as
// many TLSRoutes) present.
func (r *rig) profileHTTPConvergence(p *controllerProcess, address string, existing int) Profile {
	r.t.Helper()
	return r.profileNewRoutes(p, fmt.Sprintf("controller-cpu-http-%d.pprof", existing), fmt.Sprintf("HTTPRoutes were added one at a time to %s", count(existing)),
		func(i int) (client.Object, func(time.Time) error) {
			route := httpRoute(fmt.Sprintf("http-profiled-%d", existing), i, "new")
			return route, func(start time.Time) error {
				_, err := WaitHTTPRoutable(start, address+":80", httpHostnameOf(route.Name), requestPath, time.Millisecond, 10*time.Second)
				return err
			}
		})
}

// profileNewRoutes takes a CPU profile of the controller into file while it adds routes one at a
// time (at most 100), each waited for, and keeps the top of it; what says what was added.
func (r *rig) profileNewRoutes(p *controllerProcess, file, what string, next func(i int) (client.Object, func(time.Time) error)) Profile {
	r.t.Helper()
	path := filepath.Join(r.outDir, file)
	profiled := make(chan error, 1)
	go func() { profiled <- p.CPUProfile(profileSeconds, path) }()
	end := time.Now().Add(profileSeconds * time.Second)
	added := 0
	for i := 0; i < 100 && time.Now().Before(end); i++ {
		route, wait := next(i)
		start := time.Now()
		r.create(route)
		if err := wait(start); err != nil {
			r.t.Logf("profiled convergence: %v", err)
		}
		added++
		time.Sleep(convergencePause)
	}
	if err := <-profiled; err != nil {
		r.t.Fatalf("controller CPU profile: %v", err)
	}
	top, command := r.profileTop(filepath.Join(r.root, "bin", "haproxy-gateway"), path)
	return Profile{
		Title:   fmt.Sprintf("Controller CPU, %d s while %d %s", profileSeconds, added, what),
		Command: command,
		Top:     top,
		Stages:  StageShares(top),
	}
}

// profileHeap keeps the top of the controller's heap in use, after a garbage collection, by the
// place that allocated it: what the controller's memory holds with existing routes.
func (r *rig) profileHeap(p *controllerProcess, existing int) Profile {
	r.t.Helper()
	path := filepath.Join(r.outDir, fmt.Sprintf("controller-heap-%d.pprof", existing))
	if err := p.HeapProfile(path); err != nil {
		r.t.Fatalf("controller heap profile: %v", err)
	}
	top, command := r.profileTop(filepath.Join(r.root, "bin", "haproxy-gateway"), path, "-top", "-sample_index=inuse_space", "-nodecount=25")
	return Profile{
		Title:   fmt.Sprintf("Controller heap in use after a garbage collection, with %s routes", count(existing)),
		Command: command,
		Top:     top,
	}
}

// endpointPropagation moves the "endpoints" Service's only endpoint to a new address, one
// update at a time, and times each from just before the update to HAProxy running a server at
// that address in the route's backend, and to its event at a watch of the benchmark's own.
// HAProxy is asked every millisecond until that watch has the event, then again as soon as it
// answers: no controller can act before the API server sends the event, and from then on the time
// between asks adds to a sample. (A pause shorter than a millisecond would not help: an idle Go
// runtime sleeps in whole milliseconds.)
func (r *rig) endpointPropagation(p *controllerProcess, routes int) EndpointPropagation {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const backend = "tlsroute:bench:endpoints:rule0"
	arrivals := r.watchArrivals(ctx, &discoveryv1.EndpointSliceList{}, client.InNamespace(namespace),
		client.MatchingFields{"metadata.name": "endpoints-bench"})
	var samples, events []time.Duration
	failed, unseen := 0, 0
	// The slice is read once: each update answers with the next resourceVersion, so the time
	// measured holds the update alone.
	var slice discoveryv1.EndpointSlice
	if err := r.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "endpoints-bench"}, &slice); err != nil {
		r.t.Fatal(err)
	}
	moveTo := func(address string) {
		slice.Endpoints = endpointSlice("endpoints", "tls", 9443, address).Endpoints
		if err := r.client.Update(context.Background(), &slice); err != nil {
			r.t.Fatal(err)
		}
	}
	// Addresses that nothing listens on: HAProxy has no health checks here, so a server is
	// running as soon as it is enabled. The real backend comes back at the end.
	defer moveTo(passthroughBackend)
	session, err := haproxy.OpenCLISession(p.StatsSocket())
	if err != nil {
		r.t.Fatal(err)
	}
	defer session.Close()
	for i := range endpointUpdates {
		address := fmt.Sprintf("10.244.2.%d", 10+i)
		start := time.Now()
		moveTo(address)
		var done bool
		for !done && time.Since(start) < 10*time.Second {
			running, err := ServerRunning(session, backend, address)
			if err != nil {
				r.t.Fatal(err)
			}
			if done = running; !done && !arrivals.seen(slice.ResourceVersion) {
				time.Sleep(time.Millisecond)
			}
		}
		if done {
			samples = append(samples, time.Since(start))
		} else {
			failed++
		}
		if d, ok := arrivals.since(start, slice.ResourceVersion); ok {
			events = append(events, d)
		} else {
			unseen++
		}
		time.Sleep(convergencePause)
	}
	e := EndpointPropagation{Routes: routes, Latency: Summarize(samples, failed), Watched: Summarize(events, unseen)}
	r.t.Logf("endpoint propagation with %d routes: %+v; the benchmark's watch saw the updates after %+v", routes, e.Latency, e.Watched)
	return e
}

// throughput alternates bulk transfers through the Passthrough listener, straight to the same
// backend, and through a minimal HAProxy configuration with kernel splicing, and counts the CPU
// time HAProxy (the Gateway's worker, or the minimal process) and this process (client and
// backend) spent on each.
func (r *rig) throughput(p *controllerProcess, address, hostname string) BulkThroughput {
	r.t.Helper()
	splice := "127.0.0.1:" + freeport.String(r.t)
	minimal, err := StartMinimalHAProxy("haproxy", r.t.TempDir(), plainBackend+":9080", []MinimalFrontend{
		{Name: "splice", Bind: splice, Splice: passthroughBackend + ":9443"},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	defer minimal.Stop()
	procs := r.showProc(p)
	b := BulkThroughput{TransferMiB: bulkMiB}
	for round := range bulkRounds {
		ways := []struct {
			addr, haproxyPID      string
			into                  *[]float64
			wall, haproxy, client *float64
		}{
			{address + ":443", fmt.Sprint(procs.Worker), &b.Gateway, &b.GatewayWallSeconds, &b.GatewayHAProxyCPUSeconds, &b.GatewayClientCPUSeconds},
			{passthroughBackend + ":9443", fmt.Sprint(procs.Worker), &b.Direct, &b.DirectWallSeconds, &b.DirectHAProxyCPUSeconds, &b.DirectClientCPUSeconds},
			{splice, fmt.Sprint(minimal.PID()), &b.Spliced, &b.SplicedWallSeconds, &b.SplicedHAProxyCPUSeconds, &b.SplicedClientCPUSeconds},
		}
		// Each way goes first, second and last in turn.
		for range round % len(ways) {
			ways = append(ways[1:], ways[0])
		}
		for _, w := range ways {
			haproxyBefore, clientBefore, start := r.cpuSeconds(w.haproxyPID), r.cpuSeconds("self"), time.Now()
			mibs, err := Throughput(w.addr, hostname, bulkMiB<<20, time.Minute)
			if err != nil {
				r.t.Fatalf("bulk transfer via %s: %v", w.addr, err)
			}
			*w.wall += time.Since(start).Seconds()
			*w.haproxy += r.cpuSeconds(w.haproxyPID) - haproxyBefore
			*w.client += r.cpuSeconds("self") - clientBefore
			*w.into = append(*w.into, mibs)
		}
	}
	b.GatewayMedian, b.DirectMedian, b.SplicedMedian = Median(b.Gateway), Median(b.Direct), Median(b.Spliced)
	b.Ratio = b.GatewayMedian / b.DirectMedian
	r.t.Logf("bulk throughput: gateway %.0f MiB/s, direct %.0f MiB/s, ratio %.3f, spliced %.0f MiB/s; CPU s gateway: haproxy %.2f client+backend %.2f wall %.2f; direct: haproxy %.2f client+backend %.2f wall %.2f; spliced: haproxy %.2f client+backend %.2f wall %.2f",
		b.GatewayMedian, b.DirectMedian, b.Ratio, b.SplicedMedian, b.GatewayHAProxyCPUSeconds, b.GatewayClientCPUSeconds, b.GatewayWallSeconds,
		b.DirectHAProxyCPUSeconds, b.DirectClientCPUSeconds, b.DirectWallSeconds, b.SplicedHAProxyCPUSeconds, b.SplicedClientCPUSeconds, b.SplicedWallSeconds)
	return b
}

// profileHandshakes records with perf where HAProxy's worker spends its CPU while Terminate
// handshakes run through addr, after the timed runs so that sampling costs them nothing. A machine
// without perf gets the reason instead of a profile.
func (r *rig) profileHandshakes(worker int, addr, sni, certificate string) *PerfProfile {
	r.t.Helper()
	name := "haproxy-handshakes-" + strings.ToLower(strings.Fields(certificate)[0]) + ".perf.data"
	out := filepath.Join(r.outDir, name)
	recorded := make(chan error, 1)
	go func() { recorded <- RecordPerf(worker, handshakeSeconds*time.Second, out) }()
	// The handshakes outlast the recording, which starts a moment after its command.
	if _, _, err := HandshakeRate(addr, sni, handshakeWorkers, (handshakeSeconds+1)*time.Second); err != nil {
		r.t.Fatalf("%s handshakes via %s: %v", certificate, addr, err)
	}
	var prof *PerfProfile
	err := <-recorded
	if err == nil {
		prof, err = ReadPerf(out)
	}
	if err != nil {
		r.t.Logf("%s handshakes not profiled: %v", certificate, err)
		return &PerfProfile{Err: err.Error()}
	}
	prof.Command = "perf report -i bin/bench/" + name + " --no-children --sort dso"
	r.t.Logf("%s handshakes, HAProxy worker's CPU by object %v; kernel %v", certificate, prof.Objects, prof.Kernel)
	return prof
}

// handshakes alternates Terminate connection rates through the generated configuration and a
// minimal hand-written one on the same HAProxy binary, for each certificate type.
func (r *rig) handshakes(p *controllerProcess, address string, certs certificates) []HandshakeRates {
	r.t.Helper()
	ecdsaBind, rsaBind := "127.0.0.1:"+freeport.String(r.t), "127.0.0.1:"+freeport.String(r.t)
	ecdsaRelay, rsaRelay := "127.0.0.1:"+freeport.String(r.t), "127.0.0.1:"+freeport.String(r.t)
	minimal, err := StartMinimalHAProxy("haproxy", r.t.TempDir(), plainBackend+":9080", []MinimalFrontend{
		{Name: "ecdsa", Bind: ecdsaBind, CertPEM: certs.ecdsa.CertPEM, KeyPEM: certs.ecdsa.KeyPEM},
		{Name: "rsa", Bind: rsaBind, CertPEM: certs.rsa.CertPEM, KeyPEM: certs.rsa.KeyPEM},
		{Name: "ecdsa-relay", Bind: ecdsaRelay, CertPEM: certs.ecdsa.CertPEM, KeyPEM: certs.ecdsa.KeyPEM, Relay: true},
		{Name: "rsa-relay", Bind: rsaRelay, CertPEM: certs.rsa.CertPEM, KeyPEM: certs.rsa.KeyPEM, Relay: true},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	defer minimal.Stop()
	procs := r.showProc(p)
	generatedPID, minimalPID := fmt.Sprint(procs.Worker), fmt.Sprint(minimal.PID())
	var out []HandshakeRates
	for _, c := range []struct {
		name, sni, generated, minimal, relay string
	}{
		{"ECDSA P-256", "ecdsa.bench.test", address + ":8443", ecdsaBind, ecdsaRelay},
		{"RSA-2048", "rsa.bench.test", address + ":8444", rsaBind, rsaRelay},
	} {
		h := HandshakeRates{Certificate: c.name, Workers: handshakeWorkers, Seconds: handshakeSeconds}
		cpu, conns := map[string]float64{}, map[string]float64{}
		for round := range handshakeRounds {
			targets := []struct {
				name, addr, pid string
				into            *[]float64
			}{{"generated", c.generated, generatedPID, &h.Generated}, {"minimal", c.minimal, minimalPID, &h.Minimal}, {"relay", c.relay, minimalPID, &h.Relay}}
			if round%2 == 1 {
				slices.Reverse(targets)
			}
			for _, target := range targets {
				before, err := CPUSeconds(target.pid)
				if err != nil {
					r.t.Fatal(err)
				}
				rate, failed, err := HandshakeRate(target.addr, c.sni, handshakeWorkers, handshakeSeconds*time.Second)
				if err != nil {
					r.t.Fatalf("%s handshakes via %s: %v", c.name, target.addr, err)
				}
				after, err := CPUSeconds(target.pid)
				if err != nil {
					r.t.Fatal(err)
				}
				cpu[target.name] += after - before
				conns[target.name] += rate * handshakeSeconds
				*target.into = append(*target.into, rate)
				h.Failed += failed
			}
		}
		h.GeneratedCPUMicros = cpu["generated"] / conns["generated"] * 1e6
		h.MinimalCPUMicros = cpu["minimal"] / conns["minimal"] * 1e6
		h.RelayCPUMicros = cpu["relay"] / conns["relay"] * 1e6
		h.GeneratedMedian, h.MinimalMedian = Median(h.Generated), Median(h.Minimal)
		h.Ratio = h.GeneratedMedian / h.MinimalMedian
		h.RelayMedian = Median(h.Relay)
		h.RelayRatio = h.RelayMedian / h.MinimalMedian
		r.t.Logf("%s Terminate connections/s: generated %.0f, minimal %.0f, ratio %.3f; minimal behind the relay hop %.0f, ratio %.3f; HAProxy CPU µs per connection generated %.0f, minimal %.0f, relay %.0f; failed %d",
			c.name, h.GeneratedMedian, h.MinimalMedian, h.Ratio, h.RelayMedian, h.RelayRatio, h.GeneratedCPUMicros, h.MinimalCPUMicros, h.RelayCPUMicros, h.Failed)
		h.Profile = r.profileHandshakes(procs.Worker, c.generated, c.sni, c.name)
		out = append(out, h)
	}
	return out
}
