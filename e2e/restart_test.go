package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/procs"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestControllerKilledAndRestarted: the controller binary is SIGKILLed while its HAProxy serves
// the TLS routing example, then started again on the same directories. The new controller adopts
// the running HAProxy: one master on the ports, the same worker (no reload), and a route deleted
// afterwards answers none of 100 connections.
func TestControllerKilledAndRestarted(t *testing.T) {
	e := newEnv(t)
	// The second controller runs with the first one's flags: what it renders must be what runs.
	haproxyDir, runDir := t.TempDir(), shortTempDir(t)
	dirs := []string{"-address-pool", gatewayPool, "-haproxy-dir", haproxyDir, "-haproxy-run-dir", runDir,
		"-stats-address=127.0.0.1:" + freeport.String(t), "-metrics-address=127.0.0.1:" + freeport.String(t)}
	served := e.serveExample(dirs...)
	x, first, passthrough := served.example, served.controller, served.passthrough
	socket := filepath.Join(runDir, "master.sock")
	worker := workers(t, socket)

	if err := first.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Cmd.Wait()
	second := e.runController(e.cluster.Kubeconfig, dirs...)
	e.eventually("the restarted controller adopted HAProxy and runs the objects", 20*time.Second, func() error {
		if logs := second.logs.String(); !strings.Contains(logs, "adopted the running HAProxy master") || !strings.Contains(logs, "no reload needed") {
			return fmt.Errorf("no adoption without a reload logged yet")
		}
		if _, err := get("http://" + second.MetricsAddress + "/readyz"); err != nil {
			return err
		}
		return nil
	})
	e.waitExampleRouted(x, passthrough, served.terminate)
	if n := mastersOn(t, socket); n != 1 {
		t.Fatalf("%d HAProxy masters on %s after the restart, want 1", n, socket)
	}
	if now := workers(t, socket); now != worker {
		t.Fatalf("worker %s replaced by %s: the restart reloaded", worker, now)
	}

	if err := e.client.Delete(context.Background(), &gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "foo-route")}); err != nil {
		t.Fatal(err)
	}
	e.eventually("foo-route gone", 20*time.Second, func() error { return probe.Rejected(passthrough, "foo.example.com") })
	answered := 0
	for range 100 {
		if _, err := probe.TLS(passthrough, "foo.example.com"); err == nil {
			answered++
		}
	}
	if answered != 0 {
		t.Fatalf("the deleted route answered %d of 100 connections", answered)
	}
	if now := workers(t, socket); now != worker {
		t.Errorf("worker %s replaced by %s: deleting a route reloaded", worker, now)
	}
}

// workers are the PIDs of HAProxy's current workers, as its master lists them.
func workers(t *testing.T, socket string) string {
	t.Helper()
	current, _, err := haproxy.AttachMaster(socket).Workers()
	if err != nil || len(current) == 0 {
		t.Fatalf("HAProxy workers on %s: %v %v", socket, current, err)
	}
	return strconv.Itoa(current[0])
}

// mastersOn counts the HAProxy masters on socket.
func mastersOn(t *testing.T, socket string) int {
	t.Helper()
	n, err := procs.HAProxyMasters(socket)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
