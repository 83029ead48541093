package bench

import (
	"strings"
	"testing"
)

// renderSideBySide writes section 11: each figure for both products, the ratio, the settings
// each ran with and the command that measures them.
func renderSideBySide(p func(string, ...any), res *Results) {
	s := res.SideBySide
	p("## 11. Side by side with %s", s.Peer)
	p("")
	p("Both run at the same time against the same kube-apiserver, each with a GatewayClass and a Gateway of")
	p("its own of the same shape (a Passthrough listener on 443, Terminate listeners on 8443 with the ECDSA")
	p("P-256 certificate and on 8444 with the RSA-2048 one), the same routes (each Gateway its own copies,")
	p("with the same hostnames) and the same backends. Every figure alternates between the two in rounds, so")
	p("both see the same load. The cluster still holds the unrelated Secrets and EndpointSlices of section 8,")
	p("which both products watch. The ratio column says how many times better haproxy-gateway is (above 1:")
	p("ahead; below 1: behind; for counts of failures, one more than each is compared). Route convergence with")
	p("%s routes present is measured while each product also carries a stream of new connections to one of", count(sideBySideRoutes))
	p("its other routes, whose failures are the row after it. Then both Gateways grow to %s routes at once", count(sideBySideLargeRoutes))
	p("(created interleaved, 32 at a time, each product waited for until every route is Accepted and every")
	p("hostname answers), route convergence and memory are measured again, and last a cold start: both")
	p("stopped, every route's status cleared, both started at the same moment.")
	p("")
	p("| Figure | haproxy-gateway | %s | ratio | made of |", s.Peer)
	p("| --- | --- | --- | --- | --- |")
	for _, f := range s.Figures {
		p("| %s | %s | %s | %.2fx | %s |", f.Figure, pairValue(f.Ours, f.Unit), pairValue(f.Peer, f.Unit), f.Advantage(), f.Detail)
	}
	p("")
	p("Settings: haproxy-gateway runs as in every phase (above, defaults). %s runs as", s.Peer)
	p("")
	p("```")
	p("%s", s.PeerCommand)
	p("```")
	p("")
	p("Reproduce: `make bench` (it builds %s from the Go module proxy with `e2e/bench/traefik/build.sh`", s.Peer)
	p("into `~/.cache/haproxy-gateway/tools`); the raw figures are in `bin/bench/results.json`, the peer's")
	p("log in `bin/bench/traefik-side-by-side.log`.")
	p("")
}

// TestRenderSideBySide: each side-by-side figure is a row with both values and how many times
// better ours is, and a target row that is met only at the advantage asked for; no section 11
// without the peer.
func TestRenderSideBySide(t *testing.T) {
	res := &Results{SideBySide: &SideBySide{Peer: "Traefik v3.7.13", PeerCommand: "traefik --providers.providersThrottleDuration=0s",
		Figures: []PairedFigure{
			{Figure: "Route convergence, 0 routes present, p50", Unit: "ms", Ours: 8, Peer: 40, LowerIsBetter: true, AheadBy: 2, Detail: "100 and 100 samples"},
			{Figure: "Terminate handshakes/s, ECDSA P-256", Unit: "/s", Ours: 2000, Peer: 1500, AheadBy: 2, Detail: "5 runs each"},
			{Figure: "Memory, controller and proxy", Unit: "MiB", Ours: 120, Peer: 100, LowerIsBetter: true, AheadBy: 1, Detail: "VmRSS"},
		}}}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"## 11. Side by side with Traefik v3.7.13",
		"| Route convergence, 0 routes present, p50 | 8.00 ms | 40.0 ms | 5.00x | 100 and 100 samples |",
		"| Terminate handshakes/s, ECDSA P-256 | 2000 /s | 1500 /s | 1.33x | 5 runs each |",
		"| Memory, controller and proxy | 120 MiB | 100 MiB | 0.83x | VmRSS |",
		"| 11. Route convergence, 0 routes present, p50, vs Traefik v3.7.13 | ahead by >= 2x | 8.00 ms vs 40.0 ms: 5.00x | yes |",
		"| 11. Terminate handshakes/s, ECDSA P-256, vs Traefik v3.7.13 | ahead by >= 2x | 2000 /s vs 1500 /s: 1.33x | **no** |",
		"| 11. Memory, controller and proxy, vs Traefik v3.7.13 | not behind | 120 MiB vs 100 MiB: 0.83x | **no** |",
		"traefik --providers.providersThrottleDuration=0s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	b.Reset()
	if err := Render(&b, &Results{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "## 11.") {
		t.Error("section 11 rendered without a peer")
	}
}

// TestRenderPeerHandshakesBound: a handshake rate behind its target is explained beside the CPU
// each proxy and the clients and backends spend per connection, with the most a proxy costing
// nothing could be ahead: what a connection through the peer costs the machine over the clients'
// and backends' part alone.
func TestRenderPeerHandshakesBound(t *testing.T) {
	res := &Results{SideBySide: &SideBySide{Peer: "Traefik v3.7.13", Figures: []PairedFigure{
		{Figure: handshakesFigure + "ECDSA P-256", Unit: "/s", Ours: 1475, Peer: 1303, AheadBy: 2,
			OursCPUMicros: 567, PeerCPUMicros: 630, OursClientCPUMicros: 800, PeerClientCPUMicros: 900},
	}}}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	want := "| ECDSA P-256 | 1475 /s, 567 µs per connection | 1303 /s, 630 µs per connection | - | 800 µs / 900 µs | 1.91x |"
	if !strings.Contains(b.String(), want) {
		t.Errorf("BENCHMARKS.md lacks %q", want)
	}
}
