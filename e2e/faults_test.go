package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/procs"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestHAProxyWorkerKilled SIGKILLs the HAProxy worker while the TLS routing example is served:
// traffic is back within 5 s with nothing restarted from outside, the controller keeps running,
// one master serves, and a route created afterwards is routable without a reload of its own.
func TestHAProxyWorkerKilled(t *testing.T) {
	e := newEnv(t)
	served := e.serveExample()
	passthrough := served.passthrough
	socket := e.haproxyRunDir + "/master.sock"
	worker := e.workerPID()

	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	e.eventually("foo.example.com answers again within 5 s of the worker's SIGKILL", 5*time.Second, func() error {
		return answersFrom(passthrough, "foo.example.com", "foo-1")
	})
	t.Logf("traffic back %s after the worker's SIGKILL", time.Since(killed).Round(time.Millisecond))
	if err := served.controller.Cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the controller did not outlive the worker: %v", err)
	}
	// The master may have gone with its worker (exit-on-failure) and been started again from the
	// files by the controller: its socket answers once it runs.
	var replacement int
	e.eventually("one HAProxy master with a new worker", 5*time.Second, func() error {
		if n, err := procs.HAProxyMasters(socket); err != nil || n != 1 {
			return fmt.Errorf("%d HAProxy masters on %s (%v), want 1", n, socket, err)
		}
		current, _, err := haproxy.AttachMaster(socket).Workers()
		if err != nil || len(current) != 1 || current[0] == worker {
			return fmt.Errorf("workers %v (%v), want one other than %d", current, err, worker)
		}
		replacement = current[0]
		return nil
	})

	// The controller knows what the new worker runs: a new route goes in without a reload.
	e.create(examplePassthroughRoute("baz-route", "baz.example.com"))
	e.eventually("baz.example.com routable within 5 s", 5*time.Second, func() error {
		return answersFrom(passthrough, "baz.example.com", "foo-1")
	})
	if now := e.workerPID(); now != replacement {
		t.Errorf("worker %d replaced by %d: the route added after the crash reloaded", replacement, now)
	}
}

// TestNotReadyBlipKeepsConnections: an endpoint that turns not ready (and is not terminating)
// takes no new connections but keeps its open ones, which go on echoing through the ready blip
// and back; once it leaves the EndpointSlice, its connections end.
func TestNotReadyBlipKeepsConnections(t *testing.T) {
	e := newEnv(t)
	served := e.serveExample()
	passthrough := served.passthrough
	ctx := context.Background()

	conn, greeting, err := openEcho(passthrough, "foo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if greeting != echo.Greeting("foo-1", true, "foo.example.com") {
		t.Fatalf("the open connection reached %q, want foo-1", greeting)
	}
	echoes := func(step string) {
		t.Helper()
		if err := conn.roundTrip(step); err != nil {
			t.Fatalf("%s: the open connection stopped echoing: %v", step, err)
		}
	}
	echoes("before")

	// foo-1 fails its readiness probe; foo-2 is ready beside it.
	setEndpoints := func(endpoints ...discoveryv1.Endpoint) {
		t.Helper()
		var slice discoveryv1.EndpointSlice
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "foo-svc-e2e"}, &slice); err != nil {
			t.Fatal(err)
		}
		slice.Endpoints = endpoints
		if err := e.client.Update(ctx, &slice); err != nil {
			t.Fatal(err)
		}
	}
	endpoint := func(address string, ready bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{address}, Conditions: discoveryv1.EndpointConditions{
			Ready: ptrTo(ready), Serving: ptrTo(ready), Terminating: ptrTo(false)}}
	}
	newConnectionsReach := func(what, backend string) {
		t.Helper()
		e.eventually(what, 10*time.Second, func() error {
			for range 10 {
				a, err := probe.TLS(passthrough, "foo.example.com")
				if err != nil {
					return err
				}
				if a.Greeting != echo.Greeting(backend, true, "foo.example.com") {
					return fmt.Errorf("a new connection reached %q", a.Greeting)
				}
			}
			return nil
		})
	}
	const endpointUpdates, endpointRebuilds = "haproxy_gateway_endpoint_updates_total", `haproxy_gateway_rebuilds_total{cause="EndpointSlice"}`
	updatesBefore, rebuildsBefore := e.metric(endpointUpdates), e.metric(endpointRebuilds)
	setEndpoints(endpoint("10.244.0.10", false), endpoint("10.244.0.11", true))
	newConnectionsReach("new connections only to foo-2 while foo-1 is not ready", "foo-2")
	echoes("foo-1 not ready")

	setEndpoints(endpoint("10.244.0.10", true))
	newConnectionsReach("new connections to foo-1 once it is ready again and alone", "foo-1")
	echoes("foo-1 ready again")

	// Leaving the EndpointSlice ends foo-1's connections.
	setEndpoints(endpoint("10.244.0.11", true))
	e.eventually("the open connection to foo-1 ends once foo-1 leaves the EndpointSlice", 10*time.Second, func() error {
		if err := conn.roundTrip("after removal"); err == nil {
			return fmt.Errorf("still echoing")
		}
		return nil
	})
	// Each of the three changes went to HAProxy without a rebuild. The last pass counts once it
	// ends, which may be a moment after the connection it closed.
	e.eventually("three endpoint updates without a rebuild", 10*time.Second, func() error {
		if updates, rebuilds := e.metric(endpointUpdates)-updatesBefore, e.metric(endpointRebuilds)-rebuildsBefore; updates != 3 || rebuilds != 0 {
			return fmt.Errorf("the three EndpointSlice changes made %v updates without a rebuild and %v rebuilds; want 3 and 0", updates, rebuilds)
		}
		return nil
	})
}

// echoConn is one open TLS connection through the gateway to an echo backend.
type echoConn struct {
	*tls.Conn
	lines *bufio.Reader
}

// openEcho connects through the gateway and returns the connection with the backend's greeting.
func openEcho(addr, sni string) (*echoConn, string, error) {
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return nil, "", err
	}
	c := &echoConn{Conn: conn, lines: bufio.NewReader(conn)}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	greeting, err := c.lines.ReadString('\n')
	if err != nil {
		conn.Close()
		return nil, "", err
	}
	return c, greeting[:len(greeting)-1], nil
}

// roundTrip sends a line and expects it back within a second.
func (c *echoConn) roundTrip(line string) error {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprintln(c, line); err != nil {
		return err
	}
	got, err := c.lines.ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("echoed %q, want %q", got, line)
	}
	return nil
}
