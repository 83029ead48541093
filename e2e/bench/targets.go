package bench

import (
	"fmt"
	"slices"
	"time"
)

// coldStartAcceptedTarget is the longest a cold start with the largest number of routes may take
// until every route is Accepted.
const coldStartAcceptedTarget = 12 * time.Second

// Target is one goal of the benchmark, checked against the measured figures.
type Target struct {
	Figure, Goal, Measured string
	Met                    bool
}

// Targets checks res against the goals; a figure that was not measured is not met.
func Targets(res *Results) []Target {
	var out []Target
	largest := Convergence{Existing: -1}
	for _, c := range res.Convergence {
		if c.Existing > largest.Existing {
			largest = c
		}
	}
	conv := largest.Latency
	reloads := reloadTotal(res.Reloads)
	out = append(out, Target{
		Figure:   fmt.Sprintf("1. Route convergence at %s routes", count(largest.Existing)),
		Goal:     "p50 <= 15 ms, p99 <= 60 ms, zero reloads",
		Measured: fmt.Sprintf("p50 %s, p99 %s, %d failed", ms(conv.P50), ms(conv.P99), conv.Failed),
		Met:      conv.N > 0 && conv.Failed == 0 && conv.P50 <= 15*time.Millisecond && conv.P99 <= 60*time.Millisecond && reloads == 0,
	}, scaleTarget(res.Scale))
	for _, e := range res.Endpoints {
		out = append(out, Target{
			Figure:   fmt.Sprintf("2. Endpoint change propagation at %s routes", count(e.Routes)),
			Goal:     "p50 <= 5 ms",
			Measured: fmt.Sprintf("p50 %s, p99 %s, %d failed", ms(e.Latency.P50), ms(e.Latency.P99), e.Latency.Failed),
			Met:      e.Latency.N > 0 && e.Latency.Failed == 0 && e.Latency.P50 <= 5*time.Millisecond,
		})
	}
	cs := res.ColdStart
	apiShare := 0.0
	if cs.CPUWallSeconds > 0 {
		apiShare = cs.CPUSeconds["kube-apiserver"] / cs.CPUWallSeconds
	}
	out = append(out, Target{
		Figure:   fmt.Sprintf("3. Cold start, %s TLSRoutes: every hostname routable", count(cs.Routes)),
		Goal:     "<= 3 s",
		Measured: fmt.Sprintf("%s (%d of %d hostnames answered afterwards)", secs(cs.Routable), cs.Verified-cs.VerifyFailed, cs.Verified),
		Met:      cs.Routable > 0 && cs.Routable <= 3*time.Second && cs.VerifyFailed == 0 && cs.Verified > 0,
	}, Target{
		Figure:   fmt.Sprintf("3. Cold start, %s TLSRoutes: every route Accepted", count(cs.Routes)),
		Goal:     fmt.Sprintf("<= %.0f s", coldStartAcceptedTarget.Seconds()),
		Measured: fmt.Sprintf("%s (kube-apiserver busy %.2f of %d cores meanwhile)", secs(cs.Accepted), apiShare, res.Machine.Cores),
		Met:      cs.Accepted > 0 && cs.Accepted <= coldStartAcceptedTarget,
	}, Target{
		Figure:   "3. Route convergence while the cold start's statuses are written",
		Goal:     "p99 <= 100 ms",
		Measured: fmt.Sprintf("p50 %s, p99 %s over %d routes, %d failed", ms(cs.DuringStatus.P50), ms(cs.DuringStatus.P99), cs.DuringStatus.N, cs.DuringStatus.Failed),
		Met:      cs.DuringStatus.N > 0 && cs.DuringStatus.Failed == 0 && cs.DuringStatus.P99 <= 100*time.Millisecond,
	}, Target{
		Figure:   fmt.Sprintf("3. Controller peak RSS with %s routes", count(cs.Routes)),
		Goal:     "<= 150 MiB",
		Measured: mib(cs.ControllerPeakRSSKiB),
		Met:      cs.ControllerPeakRSSKiB > 0 && cs.ControllerPeakRSSKiB <= 150*1024,
	})
	if len(res.Setup) >= 2 {
		few, many := res.Setup[0], res.Setup[0]
		for _, s := range res.Setup {
			if s.Routes < few.Routes {
				few = s
			}
			if s.Routes > many.Routes {
				many = s
			}
		}
		ratio := float64(many.Latency.P50) / float64(few.Latency.P50)
		out = append(out, Target{
			Figure:   fmt.Sprintf("4. Connection set-up, %s vs %s routes", count(many.Routes), count(few.Routes)),
			Goal:     "p50 ratio <= 1.1",
			Measured: fmt.Sprintf("%.3f (p50 %s vs %s)", ratio, ms(many.Latency.P50), ms(few.Latency.P50)),
			Met:      ratio <= 1.1,
		})
	}
	t := res.Throughput
	out = append(out, Target{
		Figure:   "5. Bulk throughput, Passthrough vs direct",
		Goal:     "ratio >= 0.9",
		Measured: fmt.Sprintf("%.3f (%.0f vs %.0f MiB/s)", t.Ratio, t.GatewayMedian, t.DirectMedian),
		Met:      t.Ratio >= 0.9,
	})
	for _, h := range res.Handshakes {
		out = append(out, Target{
			Figure:   fmt.Sprintf("5. Terminate handshakes/s, %s, generated vs minimal config", h.Certificate),
			Goal:     "ratio >= 0.95",
			Measured: fmt.Sprintf("%.3f (%.0f vs %.0f per second)", h.Ratio, h.GeneratedMedian, h.MinimalMedian),
			Met:      h.Ratio >= 0.95 && h.Failed == 0,
		})
	}
	allReloads := reloadTotal(phaseReloads(res))
	out = append(out, Target{
		Figure:   "6. Reloads during all of the above",
		Goal:     "zero apart from creating listeners",
		Measured: fmt.Sprintf("%d", allReloads),
		Met:      len(res.Reloads) > 0 && allReloads == 0,
	})
	u := res.Unrelated
	unrelatedRebuilds := u.Rebuilds["Secret"] + u.Rebuilds["EndpointSlice"]
	out = append(out, Target{
		Figure:   fmt.Sprintf("8. %s unrelated Secrets and EndpointSlices changing during convergence", count(2*u.Objects)),
		Goal:     "zero rebuilds caused",
		Measured: fmt.Sprintf("%.0f rebuilds caused, %.0f changes ignored (%d updates)", unrelatedRebuilds, u.Ignored["Secret"]+u.Ignored["EndpointSlice"], u.Updates),
		Met:      u.Updates > 0 && unrelatedRebuilds == 0,
	})
	b := res.Burst
	burstReloads := b.Reloads.MasterReloads
	out = append(out, Target{
		Figure:   fmt.Sprintf("7. %s routes created with kubectl at once", count(b.Routes)),
		Goal:     "<= 1 reload, all routable <= 5 s after the last create",
		Measured: fmt.Sprintf("%d reloads, all routable %s and Accepted %s after it", burstReloads, secs(b.Routable), secs(b.Accepted)),
		Met:      b.Routes > 0 && burstReloads <= 1 && b.Routable <= 5*time.Second,
	})
	out = append(out, httpTargets(res)...)
	return append(out, sideBySideTargets(res.SideBySide)...)
}

// sideBySideTargets are the side-by-side figures, each against how far ahead of the peer it must
// be; none when the peer did not run.
func sideBySideTargets(s *SideBySide) []Target {
	if s == nil {
		return nil
	}
	var out []Target
	for _, f := range s.Figures {
		goal := "not behind"
		if f.AheadBy > 1 {
			goal = fmt.Sprintf("ahead by >= %gx", f.AheadBy)
		}
		out = append(out, Target{
			Figure:   fmt.Sprintf("11. %s, vs %s", f.Figure, s.Peer),
			Goal:     goal,
			Measured: fmt.Sprintf("%s vs %s: %.2fx", pairValue(f.Ours, f.Unit), pairValue(f.Peer, f.Unit), f.Advantage()),
			Met:      f.Advantage() >= f.AheadBy,
		})
	}
	return out
}

// pairValue writes a side-by-side figure in its unit.
func pairValue(v float64, unit string) string {
	switch unit {
	case "ms":
		d := time.Duration(v * float64(time.Millisecond))
		if d >= time.Second {
			return secs(d)
		}
		return ms(d)
	case "MiB":
		return fmt.Sprintf("%.0f MiB", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// ms keeps two decimals below 10 ms, where connection set-up latencies are.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// micros is for keep-alive request latencies, tens of microseconds.
func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

// count writes a route count with a thousands separator, as the targets are phrased.
func count(n int) string {
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d,%03d", n/1000, n%1000)
}

// scaleRoutes are the benchmark's last phase: cold start, convergence and memory, apart from the
// other figures.
const scaleRoutes = 50000

// scaleTarget is the figure of the largest size: measured, within the memory bound.
func scaleTarget(sc *ScalePoint) Target {
	t := Target{
		Figure:   fmt.Sprintf("1. Route convergence at %s routes", count(scaleRoutes)),
		Goal:     "p50 and p99 measured, controller RSS <= 300 MiB, cold start times",
		Measured: "not measured: the run ended before its last phase",
	}
	if sc == nil {
		return t
	}
	c := sc.Convergence
	t.Measured = fmt.Sprintf("p50 %s, p99 %s, %d failed; controller peak RSS %s; cold start: routable %s, Accepted %s",
		ms(c.P50), ms(c.P99), c.Failed, mib(sc.ControllerPeakRSSKiB), secs(sc.Routable), secs(sc.Accepted))
	t.Met = c.N > 0 && c.Failed == 0 && sc.Routable > 0 && sc.Accepted > 0 && sc.VerifyFailed == 0 &&
		sc.ControllerPeakRSSKiB > 0 && sc.ControllerPeakRSSKiB <= 300*1024
	return t
}

// reloadTotal adds the controller's and the master's reload counts of phases.
func reloadTotal(phases []ReloadCount) int {
	n := 0
	for _, r := range phases {
		n += r.MasterReloads
		for _, v := range r.MetricReloads {
			n += int(v)
		}
	}
	return n
}

// phaseReloads is every phase's reload count: the TLSRoute phases in the order they ran, then the
// HTTPRoute convergence ones by size.
func phaseReloads(res *Results) []ReloadCount {
	out := slices.Clone(res.Reloads)
	for _, c := range res.HTTPConvergence {
		out = append(out, c.Reloads)
	}
	return out
}

// httpTargets are the HTTPRoute figures: convergence at the largest size, with no reload in any
// HTTPRoute phase, and request latency at the largest size against the smallest.
func httpTargets(res *Results) []Target {
	conv := Target{
		Figure:   "10. HTTPRoute convergence",
		Goal:     "p50 <= 15 ms, p99 <= 60 ms, zero reloads",
		Measured: "not measured",
	}
	if len(res.HTTPConvergence) > 0 {
		largest := res.HTTPConvergence[0]
		var phases []ReloadCount
		for _, c := range res.HTTPConvergence {
			if c.Existing > largest.Existing {
				largest = c
			}
			phases = append(phases, c.Reloads)
		}
		l, reloads := largest.Latency, reloadTotal(phases)
		conv.Figure = fmt.Sprintf("10. HTTPRoute convergence at %s HTTPRoutes", count(largest.Existing))
		conv.Measured = fmt.Sprintf("p50 %s, p99 %s, %d failed; %d reloads", ms(l.P50), ms(l.P99), l.Failed, reloads)
		conv.Met = l.N > 0 && l.Failed == 0 && l.P50 <= 15*time.Millisecond && l.P99 <= 60*time.Millisecond && reloads == 0
	}
	requests := Target{
		Figure:   "10. HTTP request latency, many vs few HTTPRoutes",
		Goal:     "p50 ratio <= 1.1",
		Measured: "not measured",
	}
	if len(res.Requests) >= 2 {
		few, many := res.Requests[0], res.Requests[0]
		for _, q := range res.Requests {
			if q.Routes < few.Routes {
				few = q
			}
			if q.Routes > many.Routes {
				many = q
			}
		}
		ratio := float64(many.Latency.P50) / float64(few.Latency.P50)
		requests.Figure = fmt.Sprintf("10. HTTP request latency, %s vs %s HTTPRoutes", count(many.Routes), count(few.Routes))
		requests.Measured = fmt.Sprintf("%.3f (p50 %s vs %s; %d and %d failed)", ratio, micros(many.Latency.P50), micros(few.Latency.P50), many.Latency.Failed, few.Latency.Failed)
		requests.Met = many.Latency.N > 0 && few.Latency.N > 0 && many.Latency.Failed == 0 && few.Latency.Failed == 0 && ratio <= 1.1
	}
	return []Target{conv, requests}
}
