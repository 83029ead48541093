package haproxy

import (
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
)

// TestRuntimeFallbacks changes HAProxy behind the Manager's back through the stats socket, then
// applies changes the runtime API cannot make come out right: one whose command fails, and one
// whose read-back disagrees. Each falls back to a reload from the files, after which HAProxy runs
// exactly the wanted configuration again.
func TestRuntimeFallbacks(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	dp := func(hosts ...string) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw"}
		for _, h := range hosts {
			sock.Passthrough = append(sock.Passthrough, &model.SNIRoute{Hostname: h, Backend: fooID})
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{{ID: fooID, Servers: []model.Server{server(r.passthrough)}}}}
	}
	if res := r.apply(dp("foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	r.applyWithoutReload("second hostname", dp("foo.example.com", "www.example.com"))
	var mapPath string
	for path := range r.manager.live.Config.Maps {
		if strings.HasSuffix(path, ".sni.map") {
			mapPath = path
		}
	}
	stats := r.manager.runtime

	// Someone removes www.example.com; the next change removes it too, and "del map" fails.
	if err := stats.raw("del map " + mapPath + " www.example.com"); err != nil {
		t.Fatal(err)
	}
	res := r.apply(dp("foo.example.com"))
	if res.Err != nil || res.RuntimeErr == nil || !res.Plan.Reload || res.Plan.Reasons[0].Kind != RuntimeFailed {
		t.Fatalf("failed command: %+v", res)
	}
	t.Logf("failed command: %s (%v)", res.Plan, res.RuntimeErr)

	// Someone points foo.example.com at the wrong backend; the next change touches the same map,
	// and the read-back sees the stray entry.
	if err := stats.raw("set map " + mapPath + " foo.example.com spare:0"); err != nil {
		t.Fatal(err)
	}
	res = r.apply(dp("foo.example.com", "api.example.com"))
	if res.Err != nil || res.RuntimeErr == nil || !res.Plan.Reload || res.Plan.Reasons[0].Kind != RuntimeDisagrees {
		t.Fatalf("read-back: %+v", res)
	}
	t.Logf("read-back: %s", res.Plan)
	for _, host := range []string{"foo.example.com", "api.example.com"} {
		if a, err := probe.TLS(addr, host); err != nil || a.Greeting != echo.Greeting("foo-backend", true, host) {
			t.Errorf("%s after the fallback reload: %q, %v", host, a.Greeting, err)
		}
	}
	if err := probe.Rejected(addr, "www.example.com"); err != nil {
		t.Errorf("www.example.com after the fallback reload: %v", err)
	}
}
