package haproxy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestApplyServers changes the servers of a route backend of its own and of one a spare serves,
// on a real HAProxy: exactly the server commands go out, the worker stays, traffic follows, and
// haproxy.cfg on disk is byte for byte what a full render of the same data plane writes.
func TestApplyServers(t *testing.T) {
	r := newRig(t)
	pods := fooPods(t, 3)
	gatewayCert, _ := testtls.New("bar.example.com")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	dp := func(withBar bool, fooPods ...*echo.Server) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
			Passthrough: []*model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}}}
		foo := model.Backend{ID: fooID}
		for _, p := range fooPods {
			foo.Servers = append(foo.Servers, server(p))
		}
		d := model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{&foo}}
		if withBar {
			d.Sockets[0].Terminate = []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}}
			d.Sockets[0].Certificates = []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}}
			d.Backends = []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}, &foo}
		}
		return d
	}
	if res := r.apply(dp(false, pods[0])); res.Err != nil {
		t.Fatal(res.Err)
	}
	r.applyWithoutReload("bar added: a spare serves it", dp(true, pods[0]))
	spare := r.manager.Spares()[backendName(barID)]
	if spare == "" {
		t.Fatal("no spare serves bar")
	}

	worker := r.workerPID()
	next := dp(true, pods[1], pods[2])
	next.Backends[0].Servers = nil // bar loses its server
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := r.manager.ApplyServers(ctx, next, []model.BackendID{barID, fooID})
	if res.Err != nil || res.RuntimeErr != nil || res.Plan.Reload {
		t.Fatalf("ApplyServers: %+v", res)
	}
	var commands []string
	for _, op := range res.Plan.Ops {
		commands = append(commands, op.Command())
	}
	foo, bar := backendName(fooID), backendName(barID)
	name := func(p *echo.Server) string { return serverName(server(p)) }
	hostPort := func(p *echo.Server) string {
		lines, _ := serverLines(model.Backend{Servers: []model.Server{server(p)}}, "", "")
		return lines[0].Address
	}
	barServer := spare + "/" + spareServerName(bar, serverName(server(r.plain)))
	want := []string{
		"add server " + foo + "/" + name(pods[1]) + " " + hostPort(pods[1]) + " weight 1",
		"set server " + foo + "/" + name(pods[1]) + " state ready",
		"add server " + foo + "/" + name(pods[2]) + " " + hostPort(pods[2]) + " weight 1",
		"set server " + foo + "/" + name(pods[2]) + " state ready",
		"set server " + foo + "/" + name(pods[0]) + " state maint",
		"shutdown sessions server " + foo + "/" + name(pods[0]),
		"del server " + foo + "/" + name(pods[0]),
		"set server " + barServer + " state maint",
		"shutdown sessions server " + barServer,
		"del server " + barServer,
	}
	slices.Sort(want)
	slices.Sort(commands)
	if diff := cmp.Diff(want, commands); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if got := r.workerPID(); got != worker {
		t.Errorf("worker %d replaced by %d", worker, got)
	}
	if got := reached(t, addr, "foo.example.com", 12); !slices.Equal(got, []string{"foo-1", "foo-2"}) {
		t.Errorf("foo reached %v, want foo-1 and foo-2", got)
	}
	if a, err := probe.TLS(addr, "bar.example.com"); err == nil {
		t.Errorf("bar without servers answered %q", a.Greeting)
	}
	full, err := Render(next, r.manager.liveSettings())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.manager.files.flush(time.Now()); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(r.manager.settings.Dir, "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(full.Text()), string(onDisk)); diff != "" {
		t.Errorf("haproxy.cfg differs from a full render (-render +disk):\n%s", diff)
	}
	if plan := PlanChange(r.manager.live, full); !plan.Empty() {
		t.Errorf("a full render plans more after ApplyServers: %s", plan)
	}
}
