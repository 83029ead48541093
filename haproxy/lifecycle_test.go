package haproxy

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	proclist "github.com/haproxy-gateway/haproxy-gateway/e2e/procs"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// passthroughRoutes serves each name as a passthrough route on one port, each with its own
// route backend holding the rig's passthrough echo server.
func (r *rig) passthroughRoutes(port string, names ...string) model.DataPlane {
	sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw"}
	var backends []*model.Backend
	for _, name := range names {
		id := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: strings.Split(name, ".")[0]}
		sock.Passthrough = append(sock.Passthrough, &model.SNIRoute{Hostname: name, Backend: id})
		backends = append(backends, &model.Backend{ID: id, Servers: []model.Server{server(r.passthrough)}})
	}
	return model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends}
}

// masters counts the running HAProxy masters on socket.
func masters(t *testing.T, socket string) int {
	t.Helper()
	n, err := proclist.HAProxyMasters(socket)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// answered counts which of n connections for name reached a backend.
func answered(addr, name string, n int) int {
	ok := 0
	for range n {
		if _, err := probe.TLS(addr, name); err == nil {
			ok++
		}
	}
	return ok
}

// TestRestartAdoptsRunningHAProxy: a controller that goes away without stopping HAProxy (its
// Manager dropped, as after SIGKILL) and starts again adopts the running master instead of
// starting a second one, learns what the workers run (a route added at runtime in a spare
// backend included), reloads nothing for an unchanged configuration, and a route deleted
// afterwards stops answering. A Terminate route's certificate is part of what runs: the saved
// state holds no key, so the certificate comes back from its file.
func TestRestartAdoptsRunningHAProxy(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	cert, err := testtls.New("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar"}
	routes := func(names ...string) model.DataPlane {
		dp := r.passthroughRoutes(port, names...)
		dp.Sockets[0].Terminate = []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}}
		dp.Sockets[0].Certificates = []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}}
		dp.Backends = append(dp.Backends, &model.Backend{ID: barID, Servers: []model.Server{server(r.plain)}})
		return dp
	}
	if res := r.apply(routes("foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	both := routes("foo.example.com", "late.example.com")
	r.applyWithoutReload("route added into a spare", both)
	worker := r.workerPID()
	socket := r.manager.Master().socket
	// The saved state of a change follows it once changes pause for stateQuiet; a controller killed
	// sooner reloads once at its restart (TestRestartWithChangedFilesReloads).
	time.Sleep(stateQuiet + 50*time.Millisecond)

	if resumed := r.restartController(); !strings.Contains(resumed, "adopted") || !strings.Contains(resumed, "no reload needed") {
		t.Fatalf("restart did not adopt a known HAProxy: %s", resumed)
	}
	if n := masters(t, socket); n != 1 {
		t.Fatalf("%d HAProxy masters on %s after the restart, want 1", n, socket)
	}
	if res := r.apply(both); !res.Plan.Empty() || res.Err != nil {
		t.Fatalf("unchanged configuration after restart: %+v", res)
	}
	if now := r.workerPID(); now != worker {
		t.Fatalf("worker %d replaced by %d: a restart with nothing changed reloaded", worker, now)
	}
	r.applyWithoutReload("route in a spare deleted after the restart", routes("foo.example.com"))
	if n := answered(addr, "late.example.com", 100); n != 0 {
		t.Fatalf("deleted route answered %d of 100 connections", n)
	}
	if n := answered(addr, "foo.example.com", 20); n != 20 {
		t.Fatalf("remaining route answered %d of 20 connections", n)
	}
}

// TestRestartWithChangedFilesReloads: when the files on disk are not what the saved state
// renders to, the state is unknown, and the first change reloads.
func TestRestartWithChangedFilesReloads(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	dp := r.passthroughRoutes(port, "foo.example.com")
	if res := r.apply(dp); res.Err != nil {
		t.Fatal(res.Err)
	}
	_, _ = r.manager.files.flush(time.Now()) // the edit below comes after the change's own write
	f, err := os.OpenFile(r.manager.configPath(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("# edited by hand\n")
	f.Close()
	r.restartController()
	if res := r.apply(dp); !res.Reloaded() {
		t.Fatalf("first change after an unknown state: %+v, want a reload", res)
	}
}

// TestWorkerKilledIsReplaced: SIGKILL of the worker leaves the master running, and Supervise has
// a new worker serving the same configuration within 5 seconds, with nothing from outside.
func TestWorkerKilledIsReplaced(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	if res := r.apply(r.passthroughRoutes(port, "foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	r.applyWithoutReload("route added into a spare", r.passthroughRoutes(port, "foo.example.com", "late.example.com"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan string, 4)
	go r.manager.Supervise(ctx, func(event string, err error) { events <- event })
	worker := r.workerPID()
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for {
		if answered(addr, "foo.example.com", 1) == 1 && answered(addr, "late.example.com", 1) == 1 {
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatal("no traffic within 5s of the worker's SIGKILL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("traffic back %v after the worker's SIGKILL; %s", time.Since(killed).Round(time.Millisecond), <-events)
	if now := r.workerPID(); now == worker {
		t.Fatal("the killed worker is still listed")
	}
	if n := masters(t, r.manager.masterSocket()); n != 1 {
		t.Fatalf("%d HAProxy masters after the worker's SIGKILL, want 1", n)
	}
	// The new worker read the files: the late route has a backend of its own, and the next change
	// is planned from that.
	r.applyWithoutReload("late route deleted", r.passthroughRoutes(port, "foo.example.com"))
	if n := answered(addr, "late.example.com", 20); n != 0 {
		t.Fatalf("deleted route answered %d of 20 connections", n)
	}
}

// TestReloadsAreRateLimited: a second reload within MinReloadInterval waits; its runtime part
// goes out at once; the reload runs once the interval is over.
func TestReloadsAreRateLimited(t *testing.T) {
	r := newRig(t, func(s *Settings) { s.SpareBackends = 0 })
	r.manager.reloads.interval = 2 * time.Second
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	if res := r.apply(r.passthroughRoutes(port, "foo.example.com")); !res.Reloaded() {
		t.Fatalf("first configuration: %+v", res)
	}
	// No spare backends: a new route needs a reload.
	two := r.passthroughRoutes(port, "foo.example.com", "late.example.com")
	res := r.apply(two)
	if res.Deferred <= 0 || res.Reloaded() || res.Err != nil {
		t.Fatalf("reload right after a reload: %+v, want it deferred", res)
	}
	t.Logf("deferred %v", res.Deferred)
	if answered(addr, "late.example.com", 1) != 0 {
		t.Fatal("the deferred route answers before its reload")
	}
	time.Sleep(res.Deferred)
	if res := r.apply(two); !res.Reloaded() {
		t.Fatalf("after the interval: %+v, want the reload", res)
	}
	if answered(addr, "late.example.com", 10) != 10 {
		t.Fatal("route not served after the deferred reload")
	}
}
