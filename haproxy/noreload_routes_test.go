package haproxy

import (
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestNoReloadRoutesAddedAndDeleted adds TLSRoutes to a listener that already serves one
// (Passthrough and Terminate, each with a backend HAProxy has never seen) and deletes routes,
// checking traffic and the worker PID after each step. When the spare backends run out, the next
// new route reloads once, the pool grows, and afterwards every route still answers.
func TestNoReloadRoutesAddedAndDeleted(t *testing.T) {
	r := newRig(t) // two spare backends
	gatewayCert, _ := testtls.New("bar.example.com", "baz.example.com", "qux.example.com")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	route := func(name string) model.BackendID {
		return model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: name + "-route"}
	}
	// routes: hostname -> backend; a hostname starting with "foo" is passthrough.
	dp := func(names ...string) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
			Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}}}
		d := model.DataPlane{}
		for _, name := range names {
			id, host := route(name), name+".example.com"
			if name == "foo" {
				sock.Passthrough = append(sock.Passthrough, &model.SNIRoute{Hostname: host, Backend: id})
				d.Backends = append(d.Backends, &model.Backend{ID: id, Servers: []model.Server{server(r.passthrough)}})
			} else {
				sock.Terminate = append(sock.Terminate, &model.SNIRoute{Hostname: host, Backend: id})
				d.Backends = append(d.Backends, &model.Backend{ID: id, Servers: []model.Server{server(r.plain)}})
			}
		}
		d.Sockets = []model.Socket{sock}
		return d
	}
	answers := func(step string, names ...string) {
		t.Helper()
		for _, name := range names {
			host := name + ".example.com"
			want := echo.Greeting("bar-backend", false, "")
			if name == "foo" {
				want = echo.Greeting("foo-backend", true, host)
			}
			if a, err := probe.TLS(addr, host); err != nil || a.Greeting != want {
				t.Errorf("%s: %s answered %q, %v; want %q", step, host, a.Greeting, err, want)
			}
		}
	}
	refused := func(step string, names ...string) {
		t.Helper()
		for _, name := range names {
			if err := probe.Rejected(addr, name+".example.com"); err != nil {
				t.Errorf("%s: %s: %v", step, name, err)
			}
		}
	}

	if res := r.apply(dp("foo")); res.Err != nil {
		t.Fatal(res.Err)
	}
	answers("start", "foo")

	r.applyWithoutReload("Terminate TLSRoute added to the listener", dp("foo", "bar"))
	answers("bar added", "foo", "bar")
	// The stats page (show stat is its CSV) names bar's route on its server line in the spare.
	spare := r.manager.Spares()[backendName(route("bar"))]
	stat, err := r.manager.runtime.answer("show stat")
	if want := spare + "," + backendName(route("bar")) + ":"; err != nil || !strings.Contains(stat, "\n"+want) {
		t.Errorf("show stat has no line starting %q (%v):\n%s", want, err, stat)
	}

	r.applyWithoutReload("second TLSRoute added", dp("foo", "bar", "baz"))
	answers("baz added", "foo", "bar", "baz")

	r.applyWithoutReload("route deleted", dp("bar", "baz"))
	answers("foo deleted", "bar", "baz")
	refused("foo deleted", "foo")

	r.applyWithoutReload("deleted route back", dp("foo", "bar", "baz"))
	answers("foo back", "foo", "bar", "baz")

	r.applyWithoutReload("route on a spare deleted", dp("foo", "baz"))
	answers("bar deleted", "foo", "baz")
	refused("bar deleted", "bar")

	// bar's spare is free again; the two new routes need two spares, and only one is left.
	before := r.workerPID()
	res := r.apply(dp("foo", "baz", "bar", "qux"))
	if res.Err != nil || !res.Plan.Reload || res.Plan.Reasons[0].Kind != SparesUsedUp {
		t.Fatalf("routes beyond the spares: %+v", res)
	}
	if r.workerPID() == before {
		t.Error("reload kept the worker")
	}
	answers("after the reload for new spares", "foo", "bar", "baz", "qux")

	// The pool ran out, so the reload made room for a burst.
	if n := len(r.manager.live.Config.Spares); n != burstSpares {
		t.Fatalf("%d spare backends after the pool ran out, want %d", n, burstSpares)
	}
	r.applyWithoutReload("route added after the reload", dp("foo", "bar", "baz", "qux", "quux"))
	answers("quux added", "foo", "bar", "baz", "qux")
	r.applyWithoutReload("three more routes", dp("foo", "bar", "baz", "qux", "quux", "r1", "r2", "r3"))
	answers("three more added", "foo", "bar", "baz", "qux")
}
