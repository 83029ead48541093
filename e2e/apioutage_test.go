package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// apiOutage is how long kube-apiserver stays down: the outage issue 12 measured.
const apiOutage = 30 * time.Second

// The controller's lines about an outage (controller/source/kube_outage.go).
const (
	outageLine   = "lost the API server"
	recoveryLine = "the API server answers again"
)

// TestAPIServerOutage kills kube-apiserver for 30 s under a light, steady load through an existing
// route, then starts it again and creates a route: HAProxy serves throughout, the new route is
// routable and Accepted within seconds, the outage and the recovery are logged once each, and the
// change's time from the object's own creation is in the metrics.
func TestAPIServerOutage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	served := e.serveExample()
	passthrough := served.passthrough

	load := startLoad(passthrough, "foo.example.com", 50*time.Millisecond)
	defer load.stop()

	if err := e.cluster.KillAPIServer(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(apiOutage)
	if n := strings.Count(e.logs.String(), outageLine); n != 1 {
		t.Errorf("the outage was logged %d times while the API server was down, want once", n)
	}
	restartCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := e.cluster.RestartAPIServer(restartCtx); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver down %s (ready again after its restart)", time.Since(killed).Round(time.Millisecond))

	e.create(examplePassthroughRoute("baz-route", "baz.example.com"))
	created := time.Now()
	// Usually 1-4 s. A freshly started API server may hold the watches of the Gateway API kinds
	// (CRDs) for several seconds before it answers "too old resource version" and the informers
	// list again; on a loaded machine that alone took 5 s.
	e.eventually("baz.example.com routable within 10 s of its creation", 10*time.Second, func() error {
		return answersFrom(passthrough, "baz.example.com", "foo-1")
	})
	routable := time.Since(created)
	// Routable is the promise (within 10 s); the status write may still meet an API server that
	// asks clients to wait while it finishes starting (Retry-After), so Accepted gets longer.
	e.eventually("baz-route Accepted within 20 s of its creation", 20*time.Second-routable, func() error {
		var r gatewayv1.TLSRoute
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "baz-route"}, &r); err != nil {
			return err
		}
		if len(r.Status.Parents) != 1 {
			return fmt.Errorf("parents %v", r.Status.Parents)
		}
		return conditionsTrue(r.Status.Parents[0].Conditions, r.Generation, "Accepted")
	})
	t.Logf("baz-route routable %s and Accepted %s after its creation", routable.Round(time.Millisecond), time.Since(created).Round(time.Millisecond))

	ok, failed, firstErr := load.stop()
	t.Logf("load through foo-route: %d connections, %d failed", ok+failed, failed)
	if ok == 0 || failed != 0 {
		t.Errorf("%d of %d connections failed during the outage (first: %v), want none", failed, ok+failed, firstErr)
	}

	logs := e.logs.String()
	if n := strings.Count(logs, outageLine); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
	if n := strings.Count(logs, recoveryLine); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	// No storm: besides the outage line, the controller has little to warn about.
	_, after, _ := strings.Cut(logs, outageLine)
	if n := strings.Count(after, "level=warning") + strings.Count(after, "level=error"); n > 3 {
		t.Errorf("%d warnings and errors after the outage began, want at most 3:\n%s", n, after)
	}

	if v := e.metric("haproxy_gateway_object_change_to_applied_seconds_count"); v < 1 {
		t.Errorf("haproxy_gateway_object_change_to_applied_seconds_count = %v, want at least 1", v)
	}
	t.Logf("object change to applied: sum %.3f s over %.0f changes",
		e.metric("haproxy_gateway_object_change_to_applied_seconds_sum"), e.metric("haproxy_gateway_object_change_to_applied_seconds_count"))
}

// load opens one TLS connection at a time through the gateway, at a steady pace, and counts the
// ones that fail.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	firstErr   error
	done       chan struct{}
	stopped    sync.WaitGroup
	stopOnce   sync.Once
}

func startLoad(addr, sni string, every time.Duration) *load {
	l := &load{done: make(chan struct{})}
	l.stopped.Add(1)
	go func() {
		defer l.stopped.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
			if _, err := probe.TLS(addr, sni); err != nil {
				l.failed.Add(1)
				l.mu.Lock()
				if l.firstErr == nil {
					l.firstErr = err
				}
				l.mu.Unlock()
			} else {
				l.ok.Add(1)
			}
		}
	}()
	return l
}

// stop ends the load and returns its counts and the first failure.
func (l *load) stop() (ok, failed int64, firstErr error) {
	l.stopOnce.Do(func() { close(l.done) })
	l.stopped.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok.Load(), l.failed.Load(), l.firstErr
}
