package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
		p("### Convergence and endpoint propagation: every change rebuilds everything")
		p("")
		p("HAProxy's side of one change is a handful of runtime API commands whatever the route count (see the")
		p("runtime API commands in section 6, and the flat connection set-up in section 4). The controller's")
		p("side is not: every change, however small, runs one whole pass over all objects. The figures above")
		p("grow with the routes present, and the profile below, taken while routes were added one at a time")
		p("to the largest Gateway, splits the pass:")
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
		p("Every stage is proportional to the number of routes; none is a single hot spot left to fix. Status")
		p("is written beside the pass (the writer remembers each route's status and skips the unchanged ones),")
		p("and objects no route names are not read. What would remove the rest is an incremental pass:")
		p("")
		p("1. A snapshot without deep copies: once the build is made never to change the objects it reads,")
		p("   the snapshot can read the cache's objects in place (controller-runtime's unsafe-no-deep-copy")
		p("   reads) instead of copying every route on every pass, which is also most of the garbage.")
		p("2. Build results kept per route, keyed by the route's generation and the versions of the Gateway,")
		p("   Services, EndpointSlices and Secrets it references, so a change rebuilds only the routes it")
		p("   touches; Plan and the haproxy.cfg render then compare only the backends and map entries of")
		p("   those routes, and an EndpointSlice change goes to HAProxy without a build at all.")
		p("")
	}
	if anyFigure(unmet, "3. Cold start") {
		cs := res.ColdStart
		p("### Cold start: writing every route's status through the API server")
		p("")
		p("HAProxy ran all %s routes %s after the controller started (the Gateway was Programmed at %s);",
			count(cs.Routes), secs(cs.Routable), secs(cs.Programmed))
		p("what remains until every route showed Accepted (%s) is one status update per route through the",
			secs(cs.Accepted))
		p("API server and etcd. CPU time by process from the controller's start until all was ready")
		p("(%.1f s of wall-clock time, %d cores):", cs.CPUWallSeconds, res.Machine.Cores)
		p("")
		p("| Process | CPU seconds | cores busy on average |")
		p("| --- | --- | --- |")
		for _, name := range sortedByValue(cs.CPUSeconds) {
			p("| %s | %.1f | %.2f |", name, cs.CPUSeconds[name], cs.CPUSeconds[name]/cs.CPUWallSeconds)
		}
		p("")
		p("The API server, validating and storing each update, is the largest user. The controller writes 16")
		p("at a time and only where the status differs. The %d routes created one at a time while the statuses", cs.DuringStatus.N+cs.DuringStatus.Failed)
		p("were written (section 3) each cost a whole pass over all routes on the same two cores, which")
		p("lengthens this phase. What would shorten it further: an incremental pass, an API server and etcd")
		p("on their own cores (as in a real cluster, where this machine's two cores are not shared with the")
		p("gateway and the benchmark), or fewer writes (status as a merge patch is one request instead of a")
		p("read and an update, but the server's validation per write stays).")
		p("")
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
		p("also the client and the backend), it would not take from them; kernel splicing (`option")
		p("splice-auto`) did not lower HAProxy's CPU here for TLS streams of this size.")
		p("")
	}
	if anyFigure(unmet, "5. Terminate") {
		p("### Terminate handshakes: the hop from the SNI frontend to the TLS frontend")
		p("")
		p("HAProxy's CPU time per connection, over all runs (from /proc; the rates above are noisier on a")
		p("shared machine than the CPU each connection costs):")
		p("")
		p("| Certificate | generated | minimal behind a hand-written relay hop | minimal | minimal / generated |")
		p("| --- | --- | --- | --- | --- |")
		for _, h := range res.Handshakes {
			p("| %s | %.0f µs | %.0f µs | %.0f µs | %.3f |", h.Certificate, h.GeneratedCPUMicros, h.RelayCPUMicros, h.MinimalCPUMicros, h.MinimalCPUMicros/h.GeneratedCPUMicros)
		}
		p("")
		p("Rates of the relay variant, in the same alternation: %s.", relayRates(res.Handshakes))
		p("")
		p("The generated configuration costs about what the same hop costs written by hand: every port reads")
		p("the ClientHello in a TCP frontend (so Passthrough and Terminate names can share it, and a name")
		p("can change mode without a reload), then hands Terminate connections to the TLS frontend over a")
		p("unix socket with PROXY protocol: a second accept and connection per client. The SNI maps and")
		p("rules add little beyond that. What would remove it: binding `ssl crt-list` on the")
		p("public address for ports with only Terminate listeners, at the price of a reload when such a")
		p("port gains a Passthrough route.")
		p("")
	}
	if anyFigure(unmet, "6.") {
		p("### Reloads")
		p("")
		p("See section 6 for the reasons the controller gave; each is a change the runtime API could not make.")
		p("")
	}
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
