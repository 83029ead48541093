package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// renderUnmet explains the targets not met: the measured shares of the controller's pipeline
// from the CPU profile, and what would remove the bottleneck each one names.
func renderUnmet(p func(string, ...any), res *Results, unmet []Target) {
	p("## Targets not met, and why")
	p("")
	for _, t := range unmet {
		p("- %s: %s (target %s).", t.Figure, t.Measured, t.Goal)
	}
	p("")
	if anyFigure(unmet, "1.", "2.") {
		p("### Convergence and endpoint propagation: where a pass spends its time")
		p("")
		endpoints, routes := updatesWithoutRebuild(res)
		p("A change of EndpointSlices alone takes no build: the servers of the backends of its Services are")
		p("resolved again and only their runtime commands go out (%s changes went this way in the", endpoints)
		p("phases above). A change of routes alone takes no snapshot: the changed routes are decided")
		p("again from the last model, with the routes that claim the same hostnames (%s changes; its", routes)
		p("\"build\" below). Any other change is one pass: snapshot (routes taken in order from the route")
		p("stores and shared with the cache, other objects copied shallowly), build (each route's own result")
		p("reused unless its objects changed; routes weighed against each other over all of them). Either")
		p("way the model is then")
		p("rendered (unchanged route backends reused, the SNI maps of a socket whose routes alone changed")
		p("patched), planned (reused backends compared by pointer, patched maps' entry ops taken from the")
		p("render) and published (status looked up only for routes whose desired parents changed).")
		p("")
		renderAPIShare(p, "sections 1 and 2", tlsShares(res))
		renderStages(p, res.Reloads)
		p("A CPU profile taken while routes were added one at a time to the largest Gateway:")
		p("")
		for _, prof := range res.Profiles {
			if len(prof.Stages) == 0 {
				continue
			}
			p("| Stage (%s) | share of CPU samples, cumulative |", prof.Title)
			p("| --- | --- |")
			for _, s := range prof.Stages {
				p("| %s (`%s`) | %.1f%% |", s.Name, s.Function, s.CumPercent)
			}
			p("")
		}
	}
	if anyFigure(unmet, "3. Cold start") {
		cs := res.ColdStart
		api := cs.CPUSeconds["kube-apiserver"]
		p("### Cold start: HAProxy's first load, and every route's status through the API server")
		p("")
		if st := cs.StartSteps; st != nil && st.Reloads > 0 {
			p("Of the %s until HAProxy served the routes (by the controller's clock), listing every watched kind", secs(st.DataPlaneProgrammed))
			p("from the API server took %s, building and writing the configuration %s, and HAProxy loading it %s",
				secs(st.CachesSynced), secs(st.DataPlaneProgrammed-st.CachesSynced-st.ReloadsTook), secs(st.ReloadsTook))
			p("(its worker's RSS afterwards %s).", mib(cs.HAProxyWorkerRSSKiB))
			p("")
		}
		p("HAProxy ran all %s routes %s after the controller started (the Gateway was Programmed at %s);",
			count(cs.Routes), secs(cs.Routable), secs(cs.Programmed))
		p("every route showed Accepted after %s: one status update per route through the API server and", secs(cs.Accepted))
		p("etcd. CPU time by process from the controller's start until all was ready (%.1f s of wall-clock", cs.CPUWallSeconds)
		p("time, %d cores):", res.Machine.Cores)
		p("")
		p("| Process | CPU seconds | cores busy on average |")
		p("| --- | --- | --- |")
		for _, name := range sortedByValue(cs.CPUSeconds) {
			p("| %s | %.1f | %.2f |", name, cs.CPUSeconds[name], cs.CPUSeconds[name]/cs.CPUWallSeconds)
		}
		p("")
		if cs.Routes > 0 && api > 0 {
			p("kube-apiserver used %.1f ms of CPU per route status. At that cost, %s statuses need %.1f s of",
				1000*api/float64(cs.Routes), count(cs.Routes), api)
			p("one core, %.1f s of all %d cores of this machine if nothing else ran.", api/float64(res.Machine.Cores), res.Machine.Cores)
			if floor := time.Duration(api / float64(res.Machine.Cores) * float64(time.Second)); floor > coldStartAcceptedTarget {
				p("That alone is longer than the target of %s: however the statuses are ordered or paced, this", secs(coldStartAcceptedTarget))
				p("API server on these cores cannot take them sooner (its CPU profile is further below).")
			}
			p("")
		}
	}
	if anyFigure(unmet, "5. Bulk") {
		t := res.Throughput
		gateway := t.GatewayHAProxyCPUSeconds + t.GatewayClientCPUSeconds
		direct := t.DirectHAProxyCPUSeconds + t.DirectClientCPUSeconds
		p("### Bulk throughput: the proxy's CPU on a machine with two cores")
		p("")
		p("The client, the backend and HAProxy share this machine's %d cores. Over all transfers through the", res.Machine.Cores)
		p("Gateway, HAProxy used %.2f CPU seconds and the client and backend %.2f (%.2f in all, in %.2f s); straight",
			t.GatewayHAProxyCPUSeconds, t.GatewayClientCPUSeconds, gateway, t.GatewayWallSeconds)
		p("to the backend, the same bytes took %.2f CPU seconds in %.2f s. The ratio of CPU needed, %.3f,", direct, t.DirectWallSeconds, direct/gateway)
		p("is close to the throughput ratio, %.3f: the transfer is bounded by CPU, and HAProxy's copying", t.Ratio)
		p("through user space is the extra work. With the proxy on cores of its own (a gateway node is not")
		p("also the client and the backend), it would not take from them.")
		p("")
		if t.SplicedMedian > 0 {
			spliced := t.SplicedHAProxyCPUSeconds + t.SplicedClientCPUSeconds
			p("Kernel splicing takes HAProxy's copy out of user space: the minimal configuration that splices spent")
			p("%.2f HAProxy CPU seconds on the same bytes (the Gateway %.2f), and the client and backend %.2f (%.2f", t.SplicedHAProxyCPUSeconds, t.GatewayHAProxyCPUSeconds, t.SplicedClientCPUSeconds, t.GatewayClientCPUSeconds)
			p("through the Gateway): %.2f CPU seconds in all against %.2f, at %.0f MiB/s against the Gateway's %.0f.", spliced, gateway, t.SplicedMedian, t.GatewayMedian)
			if t.SplicedMedian > t.GatewayMedian {
				p("Splicing in the Gateway's Passthrough frontends could raise this figure.")
			} else {
				p("On cores that the client and backend share, splicing did not move the bytes faster, so the")
				p("Gateway does not splice; a proxy on cores of its own would keep HAProxy's saving.")
			}
			p("")
		}
	}
	if anyFigure(unmet, "5. Terminate") {
		p("### Terminate handshakes: the generated configuration against the minimal one")
		p("")
		p("Section 5 sets HAProxy's CPU per connection (from /proc, over all runs; the rates are noisier on a")
		p("shared machine than the CPU each connection costs) beside each rate. Rates of the minimal")
		p("configuration behind the relay hop, in the same alternation: %s.", relayRates(res.Handshakes))
		p("")
		p("The benchmark's Terminate listeners have ports of their own, and a port with only Terminate")
		p("listeners binds `ssl crt-list` on its address as the minimal configuration does: the relay hop")
		p("(a TCP frontend reading the ClientHello, then a unix socket with PROXY protocol, as ports that")
		p("mix modes have) is not on their path. What the generated configuration adds beyond the minimal")
		p("one is the Terminate frontend's SNI map lookups after the handshake.")
		p("")
	}
	peer := anyFigure(unmet, "11. "+handshakesFigure) && res.SideBySide != nil
	if peer {
		renderPeerHandshakes(p, res)
	}
	if peer || anyFigure(unmet, "5. Terminate") {
		renderHandshakeProfiles(p, res.Handshakes)
	}
	if anyFigure(unmet, "10. HTTPRoute convergence") {
		p("### HTTPRoute convergence: where a change spends its time")
		p("")
		p("A change of HTTPRoutes alone takes no snapshot, as one of TLSRoutes: the changed routes are")
		p("decided again from the last model, with the virtual hosts of the hostnames they claim; then")
		p("render, plan and publish as for a TLSRoute.")
		p("")
		var shares []apiShare
		var phases []ReloadCount
		for _, c := range res.HTTPConvergence {
			shares = append(shares, apiShare{fmt.Sprintf("new HTTPRoute, %s HTTPRoutes present", count(c.Existing)), c.Latency, c.Watched})
			phases = append(phases, c.Reloads)
		}
		renderAPIShare(p, "section 10", shares)
		renderStages(p, phases)
	}
	if anyFigure(unmet, "6.") {
		p("### Reloads")
		p("")
		p("See section 6 for the reasons the controller gave; each is a change the runtime API could not make.")
		p("")
	}
}

// renderPeerHandshakes sets the side-by-side handshake rates beside the CPU each proxy spends per
// connection, and beside a minimal HAProxy configuration's (section 5): with every core busy, the
// rate follows the CPU a handshake costs.
func renderPeerHandshakes(p func(string, ...any), res *Results) {
	s := res.SideBySide
	p("### Side by side: Terminate handshakes and the CPU each costs")
	p("")
	p("| Certificate | haproxy-gateway | %s | minimal HAProxy configuration (section 5) | clients and backends, per connection through haproxy-gateway / %s | the most haproxy-gateway could be ahead if HAProxy cost no CPU |", s.Peer, s.Peer)
	p("| --- | --- | --- | --- | --- | --- |")
	for _, f := range s.Figures {
		name, ok := strings.CutPrefix(f.Figure, handshakesFigure)
		if !ok {
			continue
		}
		minimal := "-"
		if i := slices.IndexFunc(res.Handshakes, func(h HandshakeRates) bool { return h.Certificate == name }); i >= 0 {
			h := res.Handshakes[i]
			minimal = fmt.Sprintf("%.0f /s, %.0f µs per connection (%.2fx %s's rate)", h.MinimalMedian, h.MinimalCPUMicros, h.MinimalMedian/f.Peer, s.Peer)
		}
		clients, ceiling := "-", "-"
		if f.OursClientCPUMicros > 0 {
			clients = fmt.Sprintf("%.0f µs / %.0f µs", f.OursClientCPUMicros, f.PeerClientCPUMicros)
			ceiling = fmt.Sprintf("%.2fx", f.FreeProxyAdvantage())
		}
		p("| %s | %.0f /s, %.0f µs per connection | %.0f /s, %.0f µs per connection | %s | %s | %s |", name, f.Ours, f.OursCPUMicros, f.Peer, f.PeerCPUMicros, minimal, clients, ceiling)
	}
	p("")
	p("The proxies, the clients and the backends share the machine's %d cores, so each rate is bounded by", res.Machine.Cores)
	p("the CPU a connection costs all of them. A proxy that cost nothing would leave the clients' and backends'")
	p("CPU: the last column divides what a connection through %s costs the machine by that. Where it is", s.Peer)
	p("below the target, no change to haproxy-gateway reaches the target on this machine; the minimal")
	p("configuration shows how close HAProxy itself, with this machine's OpenSSL, comes.")
	p("")
}

// renderHandshakeProfiles says where the Gateway's HAProxy worker spent its CPU during handshakes
// through the generated configuration (section 5): in the kernel, in OpenSSL, in HAProxy.
func renderHandshakeProfiles(p func(string, ...any), rates []HandshakeRates) {
	for _, h := range rates {
		prof := h.Profile
		switch {
		case prof == nil:
			continue
		case prof.Err != "":
			p("HAProxy's CPU during %s handshakes was not profiled: %s.", h.Certificate, prof.Err)
			p("")
			continue
		}
		p("Where the Gateway's HAProxy worker spent its CPU during one more run of %s handshakes through the", h.Certificate)
		p("generated configuration (section 5), by perf (%d Hz, %s samples; `%s`). The last column spreads", perfHz, prof.Samples, prof.Command)
		p("the %.0f µs of CPU that HAProxy spent per connection in section 5's timed runs by these shares:", h.GeneratedCPUMicros)
		p("")
		renderShares(p, "Object", prof.Objects, h.GeneratedCPUMicros)
		if len(prof.Kernel) > 0 {
			p("What the kernel did, each with what it calls (so the rows overlap: the processing of packets, for")
			p("one, runs inside the calls that send them over loopback):")
			p("")
			renderShares(p, "Kernel function", prof.Kernel, h.GeneratedCPUMicros)
		}
	}
}

// renderShares is a table of the parts of a profile, each also as its share of perConnection
// microseconds.
func renderShares(p func(string, ...any), what string, shares []Share, perConnection float64) {
	p("| %s | share of samples | µs per connection |", what)
	p("| --- | --- | --- |")
	for _, s := range shares {
		p("| `%s` | %.1f%% | %.0f |", s.Name, s.Percent, s.Percent*perConnection/100)
	}
	p("")
}

// apiShare is one figure to split at the watch event: its samples and its watch events.
type apiShare struct {
	figure         string
	total, watched Summary
}

// renderAPIShare splits each figure's median at the event a watcher of the API server gets:
// before it, the API server's part, which no controller can shorten; after it, the controller's
// and HAProxy's. The 99th percentiles of both stand beside it: a tail the API server's events
// already have is not the controller's. (They come from different samples, so they are not
// split.)
func renderAPIShare(p func(string, ...any), sections string, figures []apiShare) {
	p("Each median, split at the event a watch of the benchmark's own receives, and the 99th percentile")
	p("of the whole and of the API server's part (%s):", sections)
	p("")
	p("| Figure | p50 | API server: request to watch event, p50 | the rest: controller and HAProxy | p99 | API server, p99 |")
	p("| --- | --- | --- | --- | --- | --- |")
	for _, f := range figures {
		if f.total.N == 0 || f.watched.N == 0 {
			continue
		}
		p("| %s | %s | %s | %s | %s | %s |", f.figure, ms(f.total.P50), ms(f.watched.P50), ms(f.total.P50-f.watched.P50), ms(f.total.P99), ms(f.watched.P99))
	}
	p("")
}

// tlsShares are the TLSRoute convergence and endpoint propagation figures, for renderAPIShare.
func tlsShares(res *Results) []apiShare {
	var out []apiShare
	for _, c := range res.Convergence {
		out = append(out, apiShare{fmt.Sprintf("new route, %s routes present", count(c.Existing)), c.Latency, c.Watched})
	}
	for _, e := range res.Endpoints {
		out = append(out, apiShare{fmt.Sprintf("EndpointSlice change, %s routes present", count(e.Routes)), e.Latency, e.Watched})
	}
	return out
}

// passStages are the stages of haproxy_gateway_pass_stage_seconds, in pass order.
var passStages = []string{"snapshot", "build", "apply", "publish", "endpoints"}

// renderStages writes the mean time per pass in each stage, by phase, from the controller's own
// histogram.
func renderStages(p func(string, ...any), phases []ReloadCount) {
	p("Mean time per pass in each stage (`haproxy_gateway_pass_stage_seconds`), with the number of passes:")
	p("")
	p("| Phase | %s |", strings.Join(passStages, " | "))
	p("|%s", strings.Repeat(" --- |", len(passStages)+1))
	for _, r := range phases {
		cells := []string{r.Phase}
		for _, stage := range passStages {
			if n := r.StagePasses[stage]; n > 0 {
				cells = append(cells, fmt.Sprintf("%s (%.0f)", ms(time.Duration(r.StageSeconds[stage]/n*float64(time.Second))), n))
			} else {
				cells = append(cells, "-")
			}
		}
		p("| %s |", strings.Join(cells, " | "))
	}
	p("")
}

// updatesWithoutRebuild counts the changes of EndpointSlices alone and of routes alone over all
// phases.
func updatesWithoutRebuild(res *Results) (endpoints, routes string) {
	var e, r float64
	for _, rc := range phaseReloads(res) {
		e, r = e+rc.EndpointUpdates, r+rc.RouteUpdates
	}
	say := func(n float64) string {
		if n == 0 {
			return "some"
		}
		return fmt.Sprintf("%.0f", n)
	}
	return say(e), say(r)
}

func anyFigure(targets []Target, prefixes ...string) bool {
	for _, t := range targets {
		for _, prefix := range prefixes {
			if strings.HasPrefix(t.Figure, prefix) {
				return true
			}
		}
	}
	return false
}

// sortedByValue returns the keys of m, largest value first.
func sortedByValue(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	return keys
}

func relayRates(rates []HandshakeRates) string {
	var parts []string
	for _, h := range rates {
		parts = append(parts, fmt.Sprintf("%s %.0f/s (%.3f of minimal)", h.Certificate, h.RelayMedian, h.RelayRatio))
	}
	return strings.Join(parts, ", ")
}
