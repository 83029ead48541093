package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Render writes BENCHMARKS.md from res: the machine, how each figure was measured, the figures,
// the targets met and not met, and the profiles behind the ones not met.
func Render(w io.Writer, res *Results) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	m := res.Machine
	p("# Benchmarks")
	p("")
	p("Written by `%s` (the measurements took %.0f minutes) at commit `%s`, %s. Do not edit: run `make bench` again.",
		res.Command, res.Duration.Minutes(), m.Commit, res.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("Every figure comes from the real controller binary against a real kube-apiserver and etcd, with its own")
	p("HAProxy, real TLS handshakes, inside a private network namespace (`e2e/bench`, `e2e/netns.sh`).")
	p("")
	p("## Machine")
	p("")
	p("| | |")
	p("| --- | --- |")
	p("| CPU | %s, %d cores |", m.CPU, m.Cores)
	p("| Memory | %d MiB |", m.MemoryMiB)
	p("| Kernel | %s |", m.Kernel)
	p("| HAProxy | %s |", m.HAProxy)
	p("| Go | %s |", m.Go)
	p("| Load average at the start (1, 5, 15 min) | %s |", m.LoadAverage)
	p("| Load average at the end | %s |", res.EndLoadAverage)
	p("")
	p("The machine is shared: other work ran beside the benchmark, so single samples are noisy. Latencies are")
	p("percentiles over many samples; ratios compare medians of runs alternated in the same phase.")
	p("")
	p("## How it runs")
	p("")
	p("`make bench` builds the controller, then runs `HAPROXY_GATEWAY_E2E=1 HAPROXY_GATEWAY_BENCH=1 bash e2e/netns.sh go test -run '^TestBenchmarks$' ./e2e/bench/`.")
	p("Every phase starts the controller as")
	p("")
	p("```")
	p("%s", res.ControllerCommand)
	p("```")
	p("")
	p("- The spare pool is the default (`-spare-backends 256`, a quarter of the route backends above that up")
	p("  to 2,048, and room for a burst once it ran out, up to 4,096; HTTP route backends have a pool of their")
	p("  own): a convergence figure adds %d routes (plus up to 100 while profiling).", newRoutes)
	p("  Coalescing is the default too (`-coalesce 0`): a change is built at once when the controller is idle,")
	p("  and changes that arrive while a rebuild runs are taken together by the next one.")
	p("- One Gateway (address from `-address-pool`) with a Passthrough listener on 443, Terminate listeners")
	p("  on 8443 (ECDSA P-256 certificate) and 8444 (RSA-2048), and an HTTP listener on 80. Passthrough routes")
	p("  go to a Go TLS server at %s:9443, Terminate routes to a plain TCP server at %s:9080, HTTPRoutes", passthroughBackend, plainBackend)
	p("  to a Go net/http server at %s:8080, through Services without selectors and EndpointSlices written", httpBackend)
	p("  by the benchmark.")
	p("- Phases, each with a fresh controller and HAProxy: %s TLSRoutes (cold start, connection set-up,", count(res.ColdStart.Routes))
	p("  endpoint propagation, convergence, profile); then the same TLSRoutes with as many HTTPRoutes beside")
	p("  them, created while no controller ran, measured once every HTTPRoute is Accepted (HTTP request")
	p("  latency, HTTPRoute convergence: section 10); then %s of each kind (convergence of each), %s of", count(midRoutes), count(fewRoutes))
	p("  each (endpoints, data-plane overhead, burst), then 0 (convergence of each), then %s TLSRoutes", count(scaleRoutes))
	p("  created anew (cold start, convergence, memory: section 9). Routes are created with client-go, 32")
	p("  at a time; between phases the controller is stopped and routes are deleted down to the next size.")
	p("  During the first two phases a second Gateway with %d Passthrough routes (and %d HTTPRoutes in the", fewSetupRoutes, fewSetupRoutes)
	p("  second) is served by the same HAProxy, for connection set-up and request latency.")
	p("- Profiles: kube-apiserver's CPU over the first %d s of the cold start, and the controller's", coldStartProfileSeconds)
	p("  (`-pprof-address`) over %d s while routes are added at the largest size after the convergence", profileSeconds)
	p("  figure (TLSRoutes, then HTTPRoutes in their phase), then its heap in use after a garbage collection. Raw results, profiles and the")
	p("  controller's logs are in `bin/bench/` after a run.")
	if s := res.SideBySide; s != nil {
		p("- After the phase without routes, our controller and %s run at once against the same API server,", s.Peer)
		p("  each with its own Gateway, for the figures of both side by side (section 11).")
	}
	p("- The test network namespace reuses TIME_WAIT ports for new connections and uses the whole")
	p("  ephemeral port range, so tens of thousands of short connections to one backend do not run out")
	p("  of source ports.")
	p("")
	p("## Targets")
	p("")
	p("| Figure | Target | Measured | Met |")
	p("| --- | --- | --- | --- |")
	var unmet []Target
	for _, t := range Targets(res) {
		met := "yes"
		if !t.Met {
			met, unmet = "**no**", append(unmet, t)
		}
		p("| %s | %s | %s | %s |", t.Figure, t.Goal, t.Measured, met)
	}
	p("")

	p("## 1. Route convergence")
	p("")
	p("From just before the API create of a new Passthrough TLSRoute to the first TLS handshake through the")
	p("Gateway with its hostname (tried every 1 ms; an unknown name is refused until HAProxy knows the route).")
	p("%d new routes one at a time, %s apart, with the given number of routes already on the Gateway.", newRoutes, convergencePause)
	p("The last column is the API server's part: from the same creates to their events at a watch of the")
	p("benchmark's own, before which no controller can act.")
	p("")
	p("| Routes present | p50 | p99 | min | max | samples | failed | watch event p50 |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range res.Convergence {
		l := c.Latency
		p("| %s | %s | %s | %s | %s | %d | %d | %s |", count(c.Existing), ms(l.P50), ms(l.P99), ms(l.Min), ms(l.Max), l.N, l.Failed, watchedP50(c.Watched))
	}
	p("")

	p("## 2. Endpoint change propagation")
	p("")
	p("From just before an EndpointSlice update (its one endpoint moved to a new address) to HAProxy running")
	p("a server at that address in the route's backend (`show servers state` on one session of the stats socket")
	p("kept open, asked every 1 ms until the benchmark's own watch has the update's event, then again as soon as")
	p("HAProxy answers). %d updates, %s apart.", endpointUpdates, convergencePause)
	p("The last column is the API server's part, as in section 1.")
	p("")
	p("| Routes present | p50 | p99 | min | max | samples | failed | watch event p50 |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, e := range res.Endpoints {
		l := e.Latency
		p("| %s | %s | %s | %s | %s | %d | %d | %s |", count(e.Routes), ms(l.P50), ms(l.P99), ms(l.Min), ms(l.Max), l.N, l.Failed, watchedP50(e.Watched))
	}
	p("")

	cs := res.ColdStart
	p("## 3. Cold start")
	p("")
	p("%s TLSRoutes on one Gateway (and %d on the small one), none with status yet; the controller starts once", count(cs.Routes), fewSetupRoutes)
	p("the benchmark's own watch of the routes (which times Accepted) has read them all, so that it does not")
	p("compete with the controller's first list.")
	p("The sampled hostnames are tried one at a time every %d ms until one answers, then all those", sampleProbeEvery.Milliseconds())
	p("still unanswered at once by %d clients (again %d ms later for any that fail).", sampleClients, sampleRoundPause.Milliseconds())
	p("Times from its start:")
	p("")
	p("| | |")
	p("| --- | --- |")
	p("| every route Accepted and ResolvedRefs (watched) | %s |", secs(cs.Accepted))
	p("| Gateway Programmed with all routes attached | %s |", secs(cs.Programmed))
	p("| %d sampled hostnames answer through the Gateway | %s |", cs.Sampled, secs(cs.Routable))
	startStepRows(p, cs.StartSteps)
	p("| **all of the above** | **%s** |", secs(cs.AllReady))
	p("| then every hostname tried once | %d of %d answered |", cs.Verified-cs.VerifyFailed, cs.Verified)
	if d := cs.DuringStatus; d.N+d.Failed > 0 {
		p("| route convergence while the statuses were written (%d new routes, one at a time) | p50 %s, p99 %s, %d failed |", d.N+d.Failed, ms(d.P50), ms(d.P99), d.Failed)
	}
	p("| controller peak RSS (VmHWM) | %s |", mib(cs.ControllerPeakRSSKiB))
	rssSplit(p, cs)
	p("| HAProxy worker RSS (VmRSS) | %s |", mib(cs.HAProxyWorkerRSSKiB))
	p("| HAProxy master RSS (VmRSS) | %s |", mib(cs.HAProxyMasterRSSKiB))
	p("")

	p("## 4. Connection set-up latency")
	p("")
	p("TCP connect, TLS handshake (with the backend, through Passthrough) and the backend's first byte;")
	p("%d sequential connections to each of two Gateways served by the same HAProxy at the same time, one", setupSamples)
	p("with %s routes and one with %d, alternating in %d batches, cycling through each one's hostnames.", count(res.ColdStart.Routes), fewSetupRoutes, setupBatches)
	p("")
	p("| Routes present | p50 | p99 | min | max | samples | failed |")
	p("| --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range res.Setup {
		l := s.Latency
		p("| %s | %s | %s | %s | %s | %d | %d |", count(s.Routes), ms(l.P50), ms(l.P99), ms(l.Min), ms(l.Max), l.N, l.Failed)
	}
	p("")

	t := res.Throughput
	p("## 5. Data-plane overhead")
	p("")
	p("Bulk throughput: %d MiB from the backend over one TLS connection, through the Passthrough listener,", t.TransferMiB)
	p("straight to the backend, and through a minimal hand-written configuration whose plain TCP frontend")
	p("has the kernel move the bytes (`option splice-request`, `option splice-response`) run as a second")
	p("process of the same HAProxy binary, alternated %d times each. CPU seconds over all transfers of each", len(t.Gateway))
	p("way: HAProxy's (the Gateway's worker, or the minimal process) and the benchmark's (client and backend).")
	p("")
	p("| | median MiB/s | HAProxy CPU s | client and backend CPU s | runs |")
	p("| --- | --- | --- | --- | --- |")
	p("| through the Gateway | %.0f | %.2f | %.2f | %s |", t.GatewayMedian, t.GatewayHAProxyCPUSeconds, t.GatewayClientCPUSeconds, floats(t.Gateway))
	p("| straight to the backend | %.0f | - | %.2f | %s |", t.DirectMedian, t.DirectClientCPUSeconds, floats(t.Direct))
	p("| through the minimal configuration with kernel splicing | %.0f | %.2f | %.2f | %s |", t.SplicedMedian, t.SplicedHAProxyCPUSeconds, t.SplicedClientCPUSeconds, floats(t.Spliced))
	p("| **ratio**, Gateway over straight | **%.3f** | | | |", t.Ratio)
	p("")
	if len(res.Handshakes) > 0 {
		h0 := res.Handshakes[0]
		p("Terminate connections per second: %d clients for %.0f s each, full handshakes (no resumption) then the", h0.Workers, h0.Seconds)
		p("backend's first byte; the generated configuration (the Terminate listeners have ports of their own, so")
		p("their Terminate frontend binds the address with `ssl crt-list` and routes on the server name through")
		p("maps) against a minimal hand-written one (`bind ... ssl crt ...`, `default_backend`) run as a second")
		p("process of the same HAProxy binary, alternated; and the minimal one behind the relay hop that ports")
		p("mixing Passthrough and Terminate listeners have (a TCP frontend reading the ClientHello, then a unix")
		p("socket with PROXY protocol). HAProxy's CPU per connection is from /proc, over all runs of each.")
		p("")
		p("| Certificate | generated (median/s) | minimal (median/s) | ratio | HAProxy CPU per connection: generated, minimal, minimal behind the relay | runs generated | runs minimal | failed |")
		p("| --- | --- | --- | --- | --- | --- | --- | --- |")
		for _, h := range res.Handshakes {
			p("| %s | %.0f | %.0f | **%.3f** | %.0f µs, %.0f µs, %.0f µs | %s | %s | %d |", h.Certificate, h.GeneratedMedian, h.MinimalMedian, h.Ratio,
				h.GeneratedCPUMicros, h.MinimalCPUMicros, h.RelayCPUMicros, floats(h.Generated), floats(h.Minimal), h.Failed)
		}
		p("")
	}

	p("## 6. Reloads")
	p("")
	p("Counted from when each phase's controller was ready (its first configuration creates the listeners) to")
	p("the end of the phase: `haproxy_gateway_reloads_total` by reason, and the HAProxy master's own reload")
	p("count and current worker from `show proc`.")
	p("")
	p("| Phase | controller reloads | master reloads | worker changed | runtime API commands instead |")
	p("| --- | --- | --- | --- | --- |")
	for _, r := range phaseReloads(res) {
		p("%s", reloadRow(r))
	}
	p("")

	if bu := res.Burst; bu.Routes > 0 {
		p("## 7. A burst of new routes")
		p("")
		p("%s TLSRoutes in one file, created with `kubectl create -f` while %s routes were present, with the", count(bu.Routes), count(bu.Existing))
		p("controller's default spare pool. Routable: every new hostname answered once through the gateway;")
		p("Accepted: every route's status. Both from kubectl's exit, the last create.")
		p("")
		p("| kubectl create | all routable after | all Accepted after | master reloads |")
		p("| --- | --- | --- | --- |")
		p("| %s | %s | %s | %d |", secs(bu.Kubectl), secs(bu.Routable), secs(bu.Accepted), bu.Reloads.MasterReloads)
		p("")
		p("| Phase | controller reloads | master reloads | worker changed | runtime API commands instead |")
		p("| --- | --- | --- | --- | --- |")
		p("%s", reloadRow(bu.Reloads))
		p("")
	}

	if u := res.Unrelated; u.Objects > 0 {
		p("## 8. Unrelated objects")
		p("")
		p("%s kubernetes.io/tls Secrets and %s EndpointSlices that no route names, in the routes' namespace,", count(u.Objects), count(u.Objects))
		p("updated %d times a second (half each) during the route convergence figure at the largest size. From the", unrelatedChurnPerSecond)
		p("controller's metrics over that time:")
		p("")
		p("| | |")
		p("| --- | --- |")
		p("| updates made | %d |", u.Updates)
		p("| rebuilds, by cause | %s |", countsByKey(u.Rebuilds))
		p("| changes ignored, by kind | %s |", countsByKey(u.Ignored))
		p("")
	}

	if sc := res.Scale; sc != nil {
		renderScale(p, sc)
	}
	if len(res.HTTPConvergence) > 0 || len(res.Requests) > 0 {
		renderHTTP(p, res)
	}
	if res.SideBySide != nil {
		renderSideBySide(p, res)
	}

	if len(unmet) > 0 {
		renderUnmet(p, res, unmet)
	}
	for _, prof := range res.Profiles {
		p("### Profile: %s", prof.Title)
		p("")
		p("`%s`", prof.Command)
		p("")
		p("```")
		p("%s", prof.Top)
		p("```")
		p("")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// countsByKey writes "3 TLSRoute, 1 retry", keys sorted; "none" when empty.
func countsByKey(counts map[string]float64) string {
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%.0f %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

// reloadRow is one phase's row of a reload table, reasons sorted.
func reloadRow(r ReloadCount) string {
	return fmt.Sprintf("| %s | %s | %d | %t | %.0f |", r.Phase, countsOrZero(r.MetricReloads), r.MasterReloads, r.WorkerChanged, r.RuntimeOperations)
}

// countsOrZero is countsByKey, "0" when empty.
func countsOrZero(counts map[string]float64) string {
	if len(counts) == 0 {
		return "0"
	}
	return countsByKey(counts)
}

func floats(values []float64) string {
	var parts []string
	for _, v := range values {
		parts = append(parts, fmt.Sprintf("%.0f", v))
	}
	return strings.Join(parts, ", ")
}

// watchedP50 is the median time to a watch event, "-" where none was measured.
func watchedP50(s Summary) string {
	if s.N == 0 {
		return "-"
	}
	return ms(s.P50)
}

// renderScale writes section 9: the cold start, convergence and memory at the largest size.
func renderScale(p func(string, ...any), sc *ScalePoint) {
	p("## 9. %s routes", count(sc.Routes))
	p("")
	p("%s TLSRoutes on one Gateway, created with none present and no status; the controller starts cold as", count(sc.Routes))
	p("in section 3, then %d new routes are added one at a time as in section 1.", newRoutes)
	p("")
	p("| | |")
	p("| --- | --- |")
	p("| %d sampled hostnames answer through the Gateway | %s |", sc.Sampled, secs(sc.Routable))
	p("| Gateway Programmed with all routes attached | %s |", secs(sc.Programmed))
	startStepRows(p, sc.StartSteps)
	p("| every route Accepted and ResolvedRefs (watched) | %s |", secs(sc.Accepted))
	p("| then every hostname tried once | %d of %d answered |", sc.Verified-sc.VerifyFailed, sc.Verified)
	p("| route convergence while the statuses were written | p50 %s, p99 %s, %d failed |", ms(sc.DuringStatus.P50), ms(sc.DuringStatus.P99), sc.DuringStatus.Failed)
	p("| route convergence afterwards | p50 %s, p99 %s, %d failed (watch event p50 %s) |", ms(sc.Convergence.P50), ms(sc.Convergence.P99), sc.Convergence.Failed, watchedP50(sc.Watched))
	p("| controller peak RSS (VmHWM), all of the above | %s |", mib(sc.ControllerPeakRSSKiB))
	rssSplit(p, sc.ColdStart)
	p("| HAProxy worker RSS (VmRSS) | %s |", mib(sc.HAProxyWorkerRSSKiB))
	p("")
	p("| Phase | controller reloads | master reloads | worker changed | runtime API commands instead |")
	p("| --- | --- | --- | --- | --- |")
	p("%s", reloadRow(sc.Reloads))
	p("")
}

// renderHTTP writes section 10: HTTPRoute convergence and HTTP request latency.
func renderHTTP(p func(string, ...any), res *Results) {
	p("## 10. HTTPRoutes")
	p("")
	p("Every HTTPRoute has one hostname (`<route name>.bench.example.com`) and one rule, PathPrefix `%s`,", appPrefix)
	p("to the HTTP backend. Each Gateway has one route more, whose PathPrefix `%s` makes the", deepPrefix)
	p("router walk every request's path, `%s`, from its whole length down to `%s`: four lookups in", requestPath, appPrefix)
	p("the socket's routes map, as on a Gateway whose routes split paths finely. HTTPRoutes are as many")
	p("as the TLSRoutes beside them in each phase.")
	p("")
	p("### Route convergence")
	p("")
	p("From just before the API create of a new HTTPRoute to the first `GET %s` with its hostname", requestPath)
	p("that the backend answers (200) through the Gateway, over one keep-alive connection, tried every 1 ms (HAProxy")
	p("answers 404 for a hostname until the route is in its maps). %d new routes one at a time, %s apart,", newRoutes, convergencePause)
	p("with the given number of HTTPRoutes (and as many TLSRoutes) on the Gateway. The watch event is the")
	p("API server's part, as in section 1. Reloads are counted from the phase's start (every HTTPRoute")
	p("Accepted) to the end of the figure; at the largest size that includes the request latency figure.")
	p("")
	p("| HTTPRoutes present | p50 | p99 | min | max | samples | failed | watch event p50 | controller reloads | master reloads |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range res.HTTPConvergence {
		l := c.Latency
		p("| %s | %s | %s | %s | %s | %d | %d | %s | %s | %d |", count(c.Existing), ms(l.P50), ms(l.P99), ms(l.Min), ms(l.Max), l.N, l.Failed,
			watchedP50(c.Watched), countsOrZero(c.Reloads.MetricReloads), c.Reloads.MasterReloads)
	}
	p("")
	if len(res.Requests) == 0 {
		return
	}
	p("### Request latency")
	p("")
	p("`GET %s` requests one at a time, each batch over one keep-alive connection, so that", requestPath)
	p("what is timed is routing the request and the backend's answer, not connection set-up: from writing the request")
	p("to the last byte of the response. %d requests to each of two Gateways served by the same HAProxy at", requestSamples)
	p("the same time, in %d batches each, alternating (which goes first changes every batch). Each Gateway's requests cycle through %d hostnames: the", requestBatches, fewSetupRoutes-1)
	p("small Gateway's routes but the deep one, and as many of the large one's spread over all of them, so")
	p("that HAProxy reuses its idle connections to as many backends on both; a first round, not timed,")
	p("opens them. Every batch opens its connection afresh (its first request not timed), so that each")
	p("Gateway's requests are spread over HAProxy's threads alike.")
	p("")
	p("| HTTPRoutes on the Gateway | p50 | p99 | min | max | samples | failed |")
	p("| --- | --- | --- | --- | --- | --- | --- |")
	for _, q := range res.Requests {
		l := q.Latency
		p("| %s | %s | %s | %s | %s | %d | %d |", count(q.Routes), micros(l.P50), micros(l.P99), micros(l.Min), micros(l.Max), l.N, l.Failed)
	}
	p("")
}

// startStepRows splits the time until the data plane was programmed at the controller's own steps.
func startStepRows(p func(string, ...any), steps *StartSteps) {
	if steps == nil {
		return
	}
	p("| the controller's own steps (`haproxy_gateway_start_seconds`, from its start): HAProxy running on an empty configuration / every watched kind listed from the API server / HAProxy serving the first configuration built from them | %s / %s / %s |",
		secs(steps.HAProxyStarted), secs(steps.CachesSynced), secs(steps.DataPlaneProgrammed))
	if steps.Reloads > 0 {
		p("| of the time from the list to HAProxy serving: building and writing the configuration / HAProxy loading it (`haproxy_gateway_reload_seconds`, reloads: %d) | %s / %s |",
			steps.Reloads, secs(steps.DataPlaneProgrammed-steps.CachesSynced-steps.ReloadsTook), secs(steps.ReloadsTook))
	}
}

// rssSplit says what the controller's RSS was made of when its peak was read: the binary's
// pages count in RSS as much as the heap. Nothing for results from before the split was read.
func rssSplit(p func(string, ...any), cs ColdStart) {
	if cs.ControllerFileRSSKiB+cs.ControllerAnonRSSKiB == 0 {
		return
	}
	p("| the controller's RSS then: its own memory (RssAnon) / mapped files, nearly all its binary (RssFile) | %s / %s |",
		mib(cs.ControllerAnonRSSKiB), mib(cs.ControllerFileRSSKiB))
}
