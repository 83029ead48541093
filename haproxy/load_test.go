package haproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// load keeps a bounded, constant stream of connections to routes no change touches: each
// client opens a connection, checks the greeting and the echo, closes it and pauses.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errors     []string
	stop       chan struct{}
	done       sync.WaitGroup
}

// startLoad runs clients goroutines against addr; each name is checked for its greeting.
func startLoad(addr string, clients int, pause time.Duration, greetings map[string]string) *load {
	l := &load{stop: make(chan struct{})}
	var names []string
	for name := range greetings {
		names = append(names, name)
	}
	for c := range clients {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for i := c; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(pause):
				}
				name := names[i%len(names)]
				a, err := probe.TLS(addr, name)
				if err == nil && a.Greeting != greetings[name] {
					err = fmt.Errorf("answered %q", a.Greeting)
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					l.errors = append(l.errors, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), name, err))
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		}()
	}
	return l
}

// check stops counting and fails the test if a connection failed or too few succeeded.
func (l *load) check(t *testing.T, phase string, atLeast int64) {
	t.Helper()
	ok, failed := l.ok.Swap(0), l.failed.Swap(0)
	l.mu.Lock()
	errs := l.errors
	l.errors = nil
	l.mu.Unlock()
	t.Logf("%s: %d connections succeeded, %d failed", phase, ok, failed)
	if failed > 0 {
		t.Errorf("%s: %d connections failed, first ones: %s", phase, failed, strings.Join(errs[:min(len(errs), 5)], "; "))
	}
	if ok < atLeast {
		t.Errorf("%s: only %d connections succeeded, want at least %d: the load did not run", phase, ok, atLeast)
	}
}

func (l *load) end() { close(l.stop); l.done.Wait() }

// TestNoFailedConnectionsAcrossReloadsAndRuntimeChanges keeps constant load on a Passthrough and
// a Terminate route while HAProxy reloads 50 times and then takes 500 runtime changes to another
// route (added, scaled, re-weighted, given hostnames, deleted). No connection to the untouched
// routes may fail, and a passthrough connection opened before the reloads still echoes after them.
func TestNoFailedConnectionsAcrossReloadsAndRuntimeChanges(t *testing.T) {
	r := newRig(t, func(s *Settings) { s.HardStopAfter = 2 * time.Minute })
	gatewayCert, _ := testtls.New("bar.example.com", "churn.example.com", "churn-2.example.com")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	var churnPods []*echo.Server
	for i := range 4 {
		s, err := echo.Listen(fmt.Sprintf("churn-%d", i), "127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		churnPods = append(churnPods, s)
	}
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	churnID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "churn-route"}
	base := func() model.DataPlane {
		return model.DataPlane{
			Sockets: []model.Socket{{
				Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
				Passthrough:  []*model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}},
				Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}},
			}},
			Backends: []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}, {ID: fooID, Servers: []model.Server{server(r.passthrough)}}},
		}
	}
	// churn is change number i to the churn route, cycling through every kind of runtime change.
	churn := func(i int) model.DataPlane {
		d := base()
		step := i % 10
		if step == 9 {
			return d // the route is deleted
		}
		var servers []model.Server
		for p := range 1 + step%4 {
			s := server(churnPods[p])
			s.Weight = int32(1 + i%7)
			servers = append(servers, s)
		}
		d.Backends = append(d.Backends, &model.Backend{ID: churnID, Servers: servers})
		d.Sockets[0].Terminate = append(d.Sockets[0].Terminate, &model.SNIRoute{Hostname: "churn.example.com", Backend: churnID})
		if step%2 == 1 {
			d.Sockets[0].Terminate = append(d.Sockets[0].Terminate, &model.SNIRoute{Hostname: "churn-2.example.com", Backend: churnID})
		}
		return d
	}
	if res := r.apply(base()); res.Err != nil {
		t.Fatal(res.Err)
	}

	longLived, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "foo.example.com", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer longLived.Close()
	longReader := bufio.NewReader(longLived)
	if _, err := longReader.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	l := startLoad(addr, 4, 5*time.Millisecond, map[string]string{
		"foo.example.com": echo.Greeting("foo-backend", true, "foo.example.com"),
		"bar.example.com": echo.Greeting("bar-backend", false, ""),
	})
	defer l.end()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	time.Sleep(200 * time.Millisecond)
	l.check(t, "before any change", 10)
	for i := range 50 {
		if res := r.manager.Reload(ctx); res.Err != nil || !res.Reloaded() {
			t.Fatalf("reload %d: %+v", i, res)
		}
	}
	l.check(t, "50 reloads", 50)

	_ = longLived.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(longLived, "still there"); err != nil {
		t.Errorf("long-lived passthrough connection after 50 reloads: %v", err)
	} else if line, err := longReader.ReadString('\n'); err != nil || strings.TrimSpace(line) != "still there" {
		t.Errorf("long-lived passthrough connection after 50 reloads echoed %q, %v", line, err)
	}

	worker := r.workerPID()
	for i := range 500 {
		res := r.apply(churn(i))
		if res.Err != nil || res.Plan.Reload {
			t.Fatalf("runtime change %d: %+v", i, res)
		}
		if i%50 == 7 { // the route has hostnames and endpoints here
			if a, err := probe.TLS(addr, "churn.example.com"); err != nil || !strings.HasPrefix(a.Greeting, "churn-") {
				t.Errorf("change %d: churn.example.com answered %q, %v", i, a.Greeting, err)
			}
		}
	}
	if now := r.workerPID(); now != worker {
		t.Errorf("500 runtime changes: worker %d became %d", worker, now)
	}
	l.check(t, "500 runtime changes", 50)
}
