package haproxy

import (
	"context"
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
	stopped := "Proxy " + backendName(id) + " stopped"
	deadline := time.Now().Add(20 * time.Second)
	for len(r.output.matching(stopped)) == 0 || len(r.output.matching("<", "Proxy ", " stopped")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the old worker said nothing of its proxies stopping within 20s:\n%s", strings.Join(r.output.matching(""), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, line := range r.output.matching(stopped) {
		if !strings.HasPrefix(line, "[WARNING]") {
			t.Errorf("a route backend's stop was written other than as a message: %q", line)
		}
	}
	if n := len(r.output.matching(stopped)); n != 1 {
		t.Errorf("the route backend's stop was written %d times, want once", n)
	}
}
