package bench

import (
	"strings"
	"testing"
	"time"
)

// TestRenderColdStartSteps: the cold start's time until the data plane was programmed is split at
// the controller's own steps, and the time after the list into building and HAProxy's load.
func TestRenderColdStartSteps(t *testing.T) {
	res := &Results{ColdStart: ColdStart{Routes: 10000, StartSteps: &StartSteps{
		HAProxyStarted: 980 * time.Millisecond, CachesSynced: 1630 * time.Millisecond, DataPlaneProgrammed: 3360 * time.Millisecond,
		Reloads: 1, ReloadsTook: 1380 * time.Millisecond}}}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"HAProxy serving the first configuration built from them | 0.98 s / 1.63 s / 3.36 s |",
		"HAProxy loading it (`haproxy_gateway_reload_seconds`, reloads: 1) | 0.35 s / 1.38 s |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
}
