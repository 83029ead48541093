package haproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// workerPID returns the one current worker; a reload would replace it.
func (r *rig) workerPID() int {
	r.t.Helper()
	current, _, err := r.manager.Master().Workers()
	if err != nil || len(current) != 1 {
		r.t.Fatalf("workers %v: %v", current, err)
	}
	return current[0]
}

// applyWithoutReload applies dp and fails the test if HAProxy reloaded for it.
func (r *rig) applyWithoutReload(what string, dp model.DataPlane) {
	r.t.Helper()
	before := r.workerPID()
	res := r.apply(dp)
	if res.Err != nil || res.RuntimeErr != nil || res.Plan.Reload {
		r.t.Fatalf("%s: %+v", what, res)
	}
	if after := r.workerPID(); after != before {
		r.t.Fatalf("%s: worker PID changed from %d to %d", what, before, after)
	}
	r.t.Logf("%s: %s, worker %d unchanged", what, res.Plan, before)
}

// fooPods starts n passthrough backends for foo.example.com, named foo-0, foo-1 and on.
func fooPods(t *testing.T, n int) []*echo.Server {
	t.Helper()
	cert, _ := testtls.New("foo.example.com")
	tc, _ := cert.TLSCertificate()
	var pods []*echo.Server
	for i := range n {
		s, err := echo.Listen(fmt.Sprintf("foo-%d", i), "127.0.0.1:0", &tc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		pods = append(pods, s)
	}
	return pods
}

// reached returns which backends answered n connections for name, sorted.
func reached(t *testing.T, addr, name string, n int) []string {
	t.Helper()
	seen := map[string]bool{}
	for range n {
		a, err := probe.TLS(addr, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[strings.Fields(a.Greeting)[0]] = true
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestNoReloadEndpointsWeightsAndHostnames drives a real HAProxy through endpoint scaling
// (1 -> 10 -> 0 -> 3), a weight change and a hostname moving from passthrough to terminate on
// one port, and checks after each that traffic is right and the worker PID did not change.
func TestNoReloadEndpointsWeightsAndHostnames(t *testing.T) {
	r := newRig(t)
	pods := fooPods(t, 10)
	gatewayCert, _ := testtls.New("foo.example.com", "bar.example.com")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	dp := func(fooPods []*echo.Server, edit ...func(*model.DataPlane)) model.DataPlane {
		var servers []model.Server
		for _, p := range fooPods {
			servers = append(servers, server(p))
		}
		d := model.DataPlane{
			Sockets: []model.Socket{{
				Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
				Passthrough:  []*model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}},
				Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}},
			}},
			Backends: []*model.Backend{
				{ID: barID, Servers: []model.Server{server(r.plain)}},
				{ID: fooID, Servers: servers},
			},
		}
		for _, e := range edit {
			e(&d)
		}
		return d
	}
	names := func(servers []*echo.Server) []string {
		var out []string
		for _, s := range servers {
			out = append(out, s.Name)
		}
		slices.Sort(out)
		return out
	}

	if res := r.apply(dp(pods[:1])); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := reached(t, addr, "foo.example.com", 3); !slices.Equal(got, names(pods[:1])) {
		t.Fatalf("one endpoint: reached %v", got)
	}

	r.applyWithoutReload("scale 1 -> 10", dp(pods))
	if got := reached(t, addr, "foo.example.com", 30); !slices.Equal(got, names(pods)) {
		t.Errorf("ten endpoints: reached %v", got)
	}

	r.applyWithoutReload("scale 10 -> 0", dp(nil))
	if err := probe.Rejected(addr, "foo.example.com"); err != nil {
		t.Errorf("no endpoints: %v", err)
	}

	r.applyWithoutReload("scale 0 -> 3", dp(pods[4:7]))
	// Weighted round robin places servers added at runtime into its rotation unevenly at first
	// (its shares are exact over a full cycle): a few more connections than 4 per server.
	if got := reached(t, addr, "foo.example.com", 30); !slices.Equal(got, names(pods[4:7])) {
		t.Errorf("three endpoints: reached %v", got)
	}

	r.applyWithoutReload("weight of foo-4 to 0", dp(pods[4:7], func(d *model.DataPlane) { d.Backends[1].Servers[0].Weight = 0 }))
	if got := reached(t, addr, "foo.example.com", 12); !slices.Equal(got, names(pods[5:7])) {
		t.Errorf("after weight 0 on foo-4: reached %v", got)
	}

	r.applyWithoutReload("foo.example.com moved from passthrough to terminate", dp(pods[4:7], func(d *model.DataPlane) {
		d.Sockets[0].Passthrough = nil
		d.Sockets[0].Terminate = append(d.Sockets[0].Terminate, &model.SNIRoute{Hostname: "foo.example.com", Backend: barID})
	}))
	a, err := probe.TLS(addr, "foo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if a.Greeting != echo.Greeting("bar-backend", false, "") || a.Serial.Cmp(gatewayCert.Serial) != 0 {
		t.Errorf("terminated foo.example.com answered %q with serial %v", a.Greeting, a.Serial)
	}

	// What the runtime API changed reaches the disk too, spaced from the last write (flush takes
	// it at once): a reload keeps it.
	if _, err := r.manager.files.flush(time.Now()); err != nil {
		t.Fatal(err)
	}
	before := r.workerPID()
	if err := r.manager.Master().Reload(t.Context(), reloadTimeoutForTests); err != nil {
		t.Fatal(err)
	}
	if r.workerPID() == before {
		t.Fatal("forced reload kept the worker")
	}
	a, err = probe.TLS(addr, "foo.example.com")
	if err != nil || a.Greeting != echo.Greeting("bar-backend", false, "") {
		t.Errorf("after a reload, foo.example.com answered %q, %v: runtime changes were not written to the files", a.Greeting, err)
	}
}

// TestNoReloadCertificates rotates a Terminate certificate (clients see the new serial), adds a
// Terminate hostname with a certificate of its own, and removes it again, all on a real HAProxy
// without a new worker.
func TestNoReloadCertificates(t *testing.T) {
	r := newRig(t)
	first, _ := testtls.New("bar.example.com")
	rotated, _ := testtls.New("bar.example.com")
	baz, _ := testtls.New("baz.example.com")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	dp := func(barCert testtls.Pair, withBaz bool) model.DataPlane {
		sock := model.Socket{
			Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
			Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
			Certificates: []model.Certificate{{Namespace: "default", Name: "bar", SNIFilter: []string{"bar.example.com"}, CertPEM: barCert.CertPEM, KeyPEM: barCert.KeyPEM}},
		}
		if withBaz {
			sock.Terminate = append(sock.Terminate, &model.SNIRoute{Hostname: "baz.example.com", Backend: barID})
			sock.Certificates = append(sock.Certificates, model.Certificate{Namespace: "default", Name: "baz", SNIFilter: []string{"baz.example.com"}, CertPEM: baz.CertPEM, KeyPEM: baz.KeyPEM})
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}}}
	}
	serial := func(name string) string {
		t.Helper()
		a, err := probe.TLS(addr, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.Greeting != echo.Greeting("bar-backend", false, "") {
			t.Fatalf("%s answered %q", name, a.Greeting)
		}
		return a.Serial.String()
	}

	if res := r.apply(dp(first, false)); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := serial("bar.example.com"); got != first.Serial.String() {
		t.Fatalf("serial %s, want %s", got, first.Serial)
	}

	r.applyWithoutReload("certificate rotated", dp(rotated, false))
	if got := serial("bar.example.com"); got != rotated.Serial.String() {
		t.Errorf("after rotation the client saw serial %s, want %s", got, rotated.Serial)
	}

	r.applyWithoutReload("new Terminate hostname with its own certificate", dp(rotated, true))
	if got := serial("baz.example.com"); got != baz.Serial.String() {
		t.Errorf("baz.example.com served serial %s, want its own %s", got, baz.Serial)
	}
	if got := serial("bar.example.com"); got != rotated.Serial.String() {
		t.Errorf("bar.example.com served serial %s after baz was added", got)
	}

	r.applyWithoutReload("hostname and certificate removed", dp(rotated, false))
	if err := probe.Rejected(addr, "baz.example.com"); err != nil {
		t.Errorf("baz.example.com after removal: %v", err)
	}
	if got := serial("bar.example.com"); got != rotated.Serial.String() {
		t.Errorf("bar.example.com served serial %s after baz was removed", got)
	}
}

// TestRemovedCertificateLeavesNoFile checks that a certificate removed through the runtime API
// is also gone from disk: private keys do not linger.
func TestRemovedCertificateLeavesNoFile(t *testing.T) {
	r := newRig(t)
	cert, _ := testtls.New("bar.example.com")
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	sock := model.Socket{Address: "127.0.0.1", Port: atoi32(freeport.String(t)), Gateway: "default/gw",
		Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
		Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}}}
	backends := []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}}
	if res := r.apply(model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends}); res.Err != nil {
		t.Fatal(res.Err)
	}
	path := filepath.Join(r.manager.settings.Dir, "certs", certFileName(sock.Certificates[0]))
	if _, err := r.manager.files.flush(time.Now()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("certificate file %s: %v", path, err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("certificate file %s: mode %v; want 0600", path, info.Mode().Perm())
	}
	sock.Terminate, sock.Certificates = nil, nil
	r.applyWithoutReload("certificate removed", model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends})
	if _, err := r.manager.files.flush(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s still on disk after its certificate was removed: %v", path, err)
	}
}
