package bench

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// HTTPConn keeps one connection for many requests, dials again after the server closed it, and
// RequestLatencies counts an answer other than 200 as failed.
func TestHTTPConnKeepAlive(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/missing":
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, r.Host)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewHTTPConn(srv.Listener.Addr().String(), 2*time.Second)
	defer c.Close()

	samples, failed := RequestLatencies(c, []string{"a.example", "b.example"}, "/", 10, 10*time.Second)
	if len(samples) != 10 || failed != 0 || conns.Load() != 1 {
		t.Fatalf("10 requests: %d samples, %d failed over %d connections; want 10, 0, 1", len(samples), failed, conns.Load())
	}
	if status, err := c.Get("a.example", "/close"); err != nil || status != http.StatusOK {
		t.Fatalf("request the server closes after: %d %v", status, err)
	}
	if _, failed = RequestLatencies(c, []string{"a.example"}, "/missing", 3, 10*time.Second); failed != 3 {
		t.Errorf("404s: %d failed, want 3", failed)
	}
	if conns.Load() != 2 {
		t.Errorf("%d connections after the server closed one, want 2", conns.Load())
	}
	if d, err := WaitHTTPRoutable(time.Now(), srv.Listener.Addr().String(), "a.example", "/", time.Millisecond, time.Second); err != nil || d <= 0 {
		t.Errorf("WaitHTTPRoutable: %s %v", d, err)
	}
	if _, err := WaitHTTPRoutable(time.Now(), srv.Listener.Addr().String(), "a.example", "/missing", time.Millisecond, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("WaitHTTPRoutable on a 404: %v", err)
	}
}

func httpResults(reloads float64) *Results {
	summary := func(p50, p99 time.Duration) Summary {
		return Summary{N: 200, P50: p50, P99: p99, Min: p50 / 2, Max: p99 * 2}
	}
	res := &Results{
		HTTPConvergence: []HTTPConvergence{
			{Existing: 0, Latency: summary(5*time.Millisecond, 9*time.Millisecond), Reloads: ReloadCount{Phase: "0 TLSRoutes and 0 HTTPRoutes: HTTPRoute convergence"}},
			{Existing: 10000, Latency: summary(14*time.Millisecond, 50*time.Millisecond), Watched: summary(4*time.Millisecond, 8*time.Millisecond),
				Reloads: ReloadCount{Phase: "10000 TLSRoutes and 10000 HTTPRoutes: HTTP request latency, HTTPRoute convergence",
					StageSeconds: map[string]float64{"snapshot": 0.5}, StagePasses: map[string]float64{"snapshot": 200}}},
			{Existing: 1000, Latency: summary(8*time.Millisecond, 20*time.Millisecond), Reloads: ReloadCount{Phase: "1000 TLSRoutes and 1000 HTTPRoutes: HTTPRoute convergence"}},
		},
		Requests: []RequestLatency{
			{Routes: 10, Latency: summary(400*time.Microsecond, time.Millisecond)},
			{Routes: 10000, Latency: summary(420*time.Microsecond, time.Millisecond)},
		},
		Reloads: []ReloadCount{{Phase: "10000 TLSRoutes: cold start"}},
	}
	if reloads > 0 {
		res.HTTPConvergence[0].Reloads.MetricReloads = map[string]float64{"new backend": reloads}
	}
	return res
}

func targetNamed(t *testing.T, targets []Target, prefix string) Target {
	t.Helper()
	for _, target := range targets {
		if strings.HasPrefix(target.Figure, prefix) {
			return target
		}
	}
	t.Fatalf("no target %q in %+v", prefix, targets)
	return Target{}
}

// The HTTPRoute targets take the largest size's convergence and count the reloads of every
// HTTPRoute phase; request latency compares the medians of the most and the fewest routes.
func TestHTTPTargets(t *testing.T) {
	targets := Targets(httpResults(0))
	conv := targetNamed(t, targets, "10. HTTPRoute convergence")
	if conv.Figure != "10. HTTPRoute convergence at 10,000 HTTPRoutes" || !conv.Met || conv.Measured != "p50 14.0 ms, p99 50.0 ms, 0 failed; 0 reloads" {
		t.Errorf("convergence: %+v", conv)
	}
	requests := targetNamed(t, targets, "10. HTTP request latency")
	if requests.Figure != "10. HTTP request latency, 10,000 vs 10 HTTPRoutes" || !requests.Met || requests.Measured != "1.050 (p50 420 µs vs 400 µs; 0 and 0 failed)" {
		t.Errorf("request latency: %+v", requests)
	}
	if reloads := targetNamed(t, targets, "6."); !reloads.Met {
		t.Errorf("reloads: %+v", reloads)
	}

	targets = Targets(httpResults(1))
	if conv := targetNamed(t, targets, "10. HTTPRoute convergence"); conv.Met || !strings.HasSuffix(conv.Measured, "; 1 reloads") {
		t.Errorf("a reload in the 0 HTTPRoutes phase: %+v", conv)
	}
	if reloads := targetNamed(t, targets, "6."); reloads.Met || reloads.Measured != "1" {
		t.Errorf("reloads with one in an HTTPRoute phase: %+v", reloads)
	}

	targets = Targets(&Results{})
	for _, prefix := range []string{"10. HTTPRoute convergence", "10. HTTP request latency"} {
		if target := targetNamed(t, targets, prefix); target.Met || target.Measured != "not measured" {
			t.Errorf("without HTTP figures: %+v", target)
		}
	}
}

// Section 10 lists every size and both Gateways, the reload table has the HTTPRoute phases, and
// an unmet HTTPRoute convergence explains itself with the HTTPRoute phases' stages.
func TestRenderHTTP(t *testing.T) {
	var b strings.Builder
	if err := Render(&b, httpResults(1)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"## 10. HTTPRoutes",
		"| 10,000 | 14.0 ms | 50.0 ms | 7.00 ms | 100.0 ms | 200 | 0 | 4.00 ms | 0 | 0 |",
		"| 0 | 5.00 ms | 9.00 ms | 2.50 ms | 18.0 ms | 200 | 0 | - | 1 new backend | 0 |",
		"| 10,000 | 420 µs | 1000 µs | 210 µs | 2000 µs | 200 | 0 |",
		"| 1000 TLSRoutes and 1000 HTTPRoutes: HTTPRoute convergence | 0 | 0 | false | 0 |",
		"### HTTPRoute convergence: where a change spends its time",
		"| new HTTPRoute, 10,000 HTTPRoutes present | 14.0 ms | 4.00 ms | 10.0 ms |",
		"| 10000 TLSRoutes and 10000 HTTPRoutes: HTTP request latency, HTTPRoute convergence | 2.50 ms (200) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	b.Reset()
	if err := Render(&b, &Results{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "## 10.") {
		t.Error("section 10 rendered without HTTP figures")
	}
}
