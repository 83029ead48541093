package bench

import (
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
		p("Every stage is proportional to the number of routes; none is a single hot spot left to fix. What")
		p("would remove it is an incremental pass, in this order of gain:")
		p("")
		p("1. Status written only for objects whose computed status changed since the controller last wrote")
		p("   it (a per-object record of the last write), instead of reading and comparing all of them on")
		p("   every pass, and written beside the data plane rather than before the next pass can start.")
		p("2. A snapshot without deep copies: the cache's objects are never changed by the build, so it can")
		p("   read them in place (controller-runtime's unsafe-no-deep-copy reads) and skip copying and")
		p("   collecting every route on every pass.")
		p("3. Build results kept per route, keyed by the route's generation and the versions of the Gateway,")
		p("   Services, EndpointSlices and Secrets it references, so a change rebuilds only the routes it")
		p("   touches; Plan and the haproxy.cfg render then compare only the backends and map entries of")
		p("   those routes.")
		p("")
	}
	if anyFigure(unmet, "3. Cold start") {
		cs := res.ColdStart
		p("### Cold start: writing every route's status through the API server")
		p("")
		p("HAProxy ran all %s routes %s after the controller started (the Gateway was Programmed at %s);",
			count(cs.Routes), secs(cs.Routable), secs(cs.Programmed))
		p("the remaining time until every route showed Accepted (%s) is the status writes: one update per",
			secs(cs.Accepted))
		p("route through the API server and etcd, on the same two cores as everything else. What would")
		p("shorten it: status patches instead of read-modify-update (one request instead of a read and a")
		p("write, no conflicts), and an API server and etcd on their own cores, as in a real cluster.")
		p("")
	}
	if anyFigure(unmet, "5.") {
		p("### Data-plane overhead")
		p("")
		p("The generated configuration reads the ClientHello in a TCP frontend, looks the name up in the SNI")
		p("maps and hands Terminate connections to the TLS frontend over a unix socket with PROXY protocol:")
		p("one extra accept and connection per client compared with the minimal configuration. With both")
		p("HAProxy and the load generator on two cores, that hop is measurable on cheap handshakes (ECDSA);")
		p("binding Terminate-only ports with `ssl crt-list` directly, without the SNI frontend, would remove it.")
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
