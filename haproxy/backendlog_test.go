package haproxy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
)

// TestRouteBackendsWriteMessagesNotLogLines reloads HAProxy and reads what its old worker wrote as
// it stopped: a route backend's stop comes once, as a message, and no log line repeats it, while
// the frontends' log lines still come (so the absence is not that of all logging).
func TestRouteBackendsWriteMessagesNotLogLines(t *testing.T) {
	r := newRig(t)
	id := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "quiet-route"}
	port := atoi32(freeport.String(t))
	dp := model.DataPlane{
		Sockets:  []model.Socket{{Address: "127.0.0.1", Port: port, Gateway: "default/example-gateway", Passthrough: []*model.SNIRoute{{Hostname: "foo.example.com", Backend: id}}}},
		Backends: []*model.Backend{{ID: id, Servers: []model.Server{server(r.passthrough)}}},
	}
	if res := r.apply(dp); res.Err != nil {
		t.Fatalf("apply: %+v", res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res := r.manager.Reload(ctx); res.Err != nil {
		t.Fatalf("reload: %v", res.Err)
	}
	// The route backend's stop, and the log line of the Gateway's frontend stopping.
	backendStop := func(l string) bool { return strings.Contains(l, "Proxy "+backendName(id)+" stopped") }
	frontendLog := func(l string) bool {
		return strings.HasPrefix(l, "<") && strings.Contains(l, "Proxy gateway:default:example-gateway:")
	}
	deadline := time.Now().Add(20 * time.Second)
	for !slices.ContainsFunc(r.output.all(), backendStop) || !slices.ContainsFunc(r.output.all(), frontendLog) {
		if time.Now().After(deadline) {
			t.Fatalf("the old worker did not say within 20s that its proxies stopped:\n%s", strings.Join(r.output.all(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var stops []string
	for _, line := range r.output.all() {
		if backendStop(line) {
			stops = append(stops, line)
		}
	}
	if len(stops) != 1 || !strings.HasPrefix(stops[0], "[WARNING]") {
		t.Errorf("the route backend's stop was written as %q, want once as a [WARNING] message", stops)
	}
}
