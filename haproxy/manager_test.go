package haproxy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// rig is a real HAProxy started by a Manager, with two backends on loopback.
type rig struct {
	t           *testing.T
	manager     *Manager
	passthrough *echo.Server // terminates TLS itself
	plain       *echo.Server // receives plain TCP
	backendCert testtls.Pair
	// output is what HAProxy wrote.
	output *outputLines
}

// newRig starts HAProxy with two spare backends; edit may change its settings.
func newRig(t *testing.T, edit ...func(*Settings)) *rig {
	t.Helper()
	haproxybin.Path(t)
	backendCert, err := testtls.New("foo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := backendCert.TLSCertificate()
	passthrough, err := echo.Listen("foo-backend", "127.0.0.1:0", &tc)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := echo.Listen("bar-backend", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defaultCert, err := NewDefaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run, err := os.MkdirTemp("", "hg")
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings{Dir: dir, RunDir: run, StatsAddress: "127.0.0.1:" + freeport.String(t),
		HardStopAfter: 5 * time.Second, IdleTimeout: time.Minute, DefaultCertificate: defaultCert, SpareBackends: 2}
	for _, e := range edit {
		e(&settings)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	output := &outputLines{}
	m, err := NewManager(ctx, ManagerOptions{Binary: "haproxy", Settings: settings, Output: testWriter{t, output}})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, manager: m, passthrough: passthrough, plain: plain, backendCert: backendCert, output: output}
	t.Cleanup(func() {
		// A restarted controller's Manager (restartController) may still have files and state to
		// write: stopped, it writes them now, before the folder is removed.
		if r.manager != m {
			r.manager.Stop()
		}
		m.Stop()
		passthrough.Close()
		plain.Close()
		os.RemoveAll(run)
	})
	return r
}

// restartController starts a new Manager with the rig's settings beside the running HAProxy, as a
// restarted controller would, makes it the rig's, and returns what it said of what it found.
func (r *rig) restartController() string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	again, err := NewManager(ctx, ManagerOptions{Binary: "haproxy", Settings: r.manager.settings, Output: testWriter{t: r.t}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("restart: %s", again.Resumed())
	r.manager = again
	return again.Resumed()
}

func (r *rig) apply(dp model.DataPlane) Result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.manager.Apply(ctx, dp)
}

// deleteLeaving deletes what left the configuration and waits for deletion, as Supervise does
// once it is due.
func (r *rig) deleteLeaving() {
	r.t.Helper()
	r.manager.live.Leaving = r.manager.live.Leaving.restarted(time.Now(), 0)
	if event, err := r.manager.deleteLeaving(r.t.Context()); event != "" || err != nil {
		r.t.Fatalf("%s: %v", event, err)
	}
	if l := r.manager.live.Leaving; len(l) > 0 {
		r.t.Fatalf("still waiting for deletion: %+v", l)
	}
}

func server(s *echo.Server) model.Server {
	return model.Server{Service: s.Name, Address: s.Addr().IP.String(), Port: int32(s.Addr().Port), Weight: 1}
}

// testWriter logs HAProxy's output to the test, and keeps it in output when that is set.
type testWriter struct {
	t      *testing.T
	output *outputLines
}

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	if w.output != nil {
		w.output.add(string(p))
	}
	return len(p), nil
}

// outputLines is what HAProxy wrote, line by line.
type outputLines struct {
	mu    sync.Mutex
	lines []string
	tail  string
}

func (o *outputLines) add(p string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	lines := strings.Split(o.tail+p, "\n")
	o.lines, o.tail = append(o.lines, lines[:len(lines)-1]...), lines[len(lines)-1]
}

// all returns the lines so far.
func (o *outputLines) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.lines)
}

// TestManagerServesPassthroughAndTerminateOnOnePort runs real handshakes through HAProxy: a
// passthrough name reaches the backend's own TLS, a terminated name gets the gateway's
// certificate and reaches a plain backend, wildcards match several labels, unknown names and a
// configuration HAProxy cannot run are refused without disturbing what runs.
func TestManagerServesPassthroughAndTerminateOnOnePort(t *testing.T) {
	r := newRig(t)
	gatewayCert, err := testtls.New("bar.example.com", "*.wild.example.com")
	if err != nil {
		t.Fatal(err)
	}
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	dp := model.DataPlane{
		Sockets: []model.Socket{{
			Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/example-gateway",
			Passthrough: []*model.SNIRoute{
				{Hostname: "*.pass.example.com", Backend: fooID},
				{Hostname: "foo.example.com", Backend: fooID},
			},
			Terminate: []*model.SNIRoute{
				{Hostname: "*.wild.example.com", Backend: barID},
				{Hostname: "bar.example.com", Backend: barID},
			},
			Certificates: []model.Certificate{{Namespace: "default", Name: "bar-cert", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}},
		}},
		Backends: []*model.Backend{
			{ID: barID, Servers: []model.Server{server(r.plain)}},
			{ID: fooID, Servers: []model.Server{server(r.passthrough)}},
		},
	}
	if res := r.apply(dp); res.Err != nil || !res.Plan.Reload {
		t.Fatalf("apply: %+v", res)
	}

	// A wildcard matches one or more labels.
	for _, name := range []string{"foo.example.com", "a.pass.example.com", "a.b.c.pass.example.com"} {
		foo, err := probe.TLS(addr, name)
		if err != nil {
			t.Fatalf("passthrough %s: %v", name, err)
		}
		if foo.Greeting != echo.Greeting("foo-backend", true, name) || foo.Serial.Cmp(r.backendCert.Serial) != 0 {
			t.Errorf("passthrough %s answered %q with serial %v; want foo-backend's own TLS and certificate", name, foo.Greeting, foo.Serial)
		}
	}
	for _, name := range []string{"bar.example.com", "a.wild.example.com"} {
		bar, err := probe.TLS(addr, name)
		if err != nil {
			t.Fatalf("terminate %s: %v", name, err)
		}
		if bar.Greeting != echo.Greeting("bar-backend", false, "") || bar.Serial.Cmp(gatewayCert.Serial) != 0 {
			t.Errorf("terminate %s answered %q with serial %v; want bar-backend in plain TCP behind the gateway certificate", name, bar.Greeting, bar.Serial)
		}
	}
	for _, name := range []string{"unknown.example.com", "wild.example.com", "pass.example.com", "example.com", ""} {
		if err := probe.Rejected(addr, name); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}

	// A configuration HAProxy cannot run (a bind it may not take) is reported, and the running
	// one keeps serving.
	broken := dp
	broken.Sockets = append([]model.Socket{{Address: "192.0.2.1", Port: 9, Gateway: "default/broken"}}, dp.Sockets...)
	if res := r.apply(broken); res.Err == nil {
		t.Fatal("a configuration binding an address this host does not have was applied")
	} else {
		t.Logf("refused as expected: %v", res.Err)
	}
	if _, err := probe.TLS(addr, "foo.example.com"); err != nil {
		t.Fatalf("after a refused configuration, the running one stopped serving: %v", err)
	}
	text, _ := os.ReadFile(filepath.Join(r.manager.settings.Dir, "haproxy.cfg"))
	if strings.Contains(string(text), "192.0.2.1") {
		t.Error("the refused configuration was left on disk for the next reload")
	}
}

const reloadTimeoutForTests = 10 * time.Second

// atoi32 reads a port that freePort returned.
func atoi32(s string) int32 {
	n, _ := strconv.Atoi(s)
	return int32(n)
}
