package haproxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
)

// weightedRoute is a Terminate TLSRoute with backendRefs heavy (weight 80, two pods) and light
// (weight 20, one pod); light's second pod is not ready.
const weightedRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: haproxy}
spec: {controllerName: haproxy-gateway.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: haproxy
  listeners: [{name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: canary, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [weighted.example.com]
  rules: [{backendRefs: [{name: heavy, port: 443, weight: 80}, {name: light, port: 443, weight: 20}]}]
---
apiVersion: v1
kind: Service
metadata: {name: heavy, namespace: default}
spec: {ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: light, namespace: default}
spec: {ports: [{port: 443}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: heavy, namespace: default, labels: {kubernetes.io/service-name: heavy}}
addressType: IPv4
ports: [{port: %d}]
endpoints: [{addresses: [127.0.0.2]}, {addresses: [127.0.0.3]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: light, namespace: default, labels: {kubernetes.io/service-name: light}}
addressType: IPv4
ports: [{port: %d}]
endpoints: [{addresses: [127.0.0.4]}, {addresses: [127.0.0.5], conditions: {ready: %t}}]
`

// weightedPlane builds the route as the controller would and serves it on a loopback socket.
func weightedPlane(t *testing.T, port string, heavyPort, lightPort int, secondLightReady bool) model.DataPlane {
	t.Helper()
	snap, err := source.Decode([]byte(fmt.Sprintf(weightedRoute, heavyPort, lightPort, secondLightReady)))
	if err != nil {
		t.Fatal(err)
	}
	built := translate.Build(snap, translate.Options{ControllerName: "haproxy-gateway.io/gatewayclass-controller", AddressPool: netip.MustParsePrefix("10.250.0.0/16")})
	if len(built.DataPlane.Backends) != 1 {
		t.Fatalf("backends: %+v", built.DataPlane.Backends)
	}
	b := built.DataPlane.Backends[0]
	return model.DataPlane{
		Sockets:  []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Passthrough: []*model.SNIRoute{{Hostname: "weighted.example.com", Backend: b.ID}}}},
		Backends: []*model.Backend{b},
	}
}

// TestWeightsAreExact: 80/20 backendRefs get 80/20 of 2,000 connections, one at a time and 8 at
// once, with a real HAProxy and backends that answer at once (idle servers, where leastconn would
// alternate); the split follows the backendRefs whatever their pod counts.
func TestWeightsAreExact(t *testing.T) {
	r := newRig(t)
	heavyPort, lightPort := weightedPods(t, r, "heavy", "heavy", "light", "light")
	port := freeport.String(t)
	if res := r.apply(weightedPlane(t, port, heavyPort, lightPort, false)); res.Err != nil {
		t.Fatal(res.Err)
	}
	addr := "127.0.0.1:" + port
	for _, clients := range []int{1, 8} {
		counts := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		failed := 0
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; i < 2000; i += clients {
					a, err := probe.TLS(addr, "weighted.example.com")
					mu.Lock()
					if err != nil {
						failed++
					} else {
						counts[strings.Fields(a.Greeting)[0]]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		share := float64(counts["heavy"]) / 2000
		t.Logf("%d clients: %v, %d failed", clients, counts, failed)
		if failed > 0 || math.Abs(share-0.8) > 0.05 {
			t.Errorf("%d clients: heavy got %.3f of 2,000 connections (%v, %d failed), want 0.80 ± 0.05", clients, share, counts, failed)
		}
	}
}

// weightedPods starts the four pods of weightedRoute, named as given, each Service's pods on one
// port of their own 127.0.0.x address, and returns heavy's and light's ports.
func weightedPods(t *testing.T, r *rig, heavy2, heavy3, light4, light5 string) (int, int) {
	t.Helper()
	cert, _ := r.backendCert.TLSCertificate()
	pod := func(name, addr string) int {
		s, err := echo.Listen(name, addr, &cert)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s.Addr().Port
	}
	heavyPort := pod(heavy2, "127.0.0.2:0")
	pod(heavy3, fmt.Sprintf("127.0.0.3:%d", heavyPort))
	lightPort := pod(light4, "127.0.0.4:0")
	pod(light5, fmt.Sprintf("127.0.0.5:%d", lightPort))
	return heavyPort, lightPort
}

// TestNotReadyEndpointDrains: an endpoint that stops being ready keeps its open connection (it
// still echoes) and takes no new ones; ready again, it takes new ones, without a reload.
func TestNotReadyEndpointDrains(t *testing.T) {
	r := newRig(t)
	heavyPort, lightPort := weightedPods(t, r, "heavy", "heavy", "light-a", "light-b")
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	if res := r.apply(weightedPlane(t, port, heavyPort, lightPort, true)); res.Err != nil {
		t.Fatal(res.Err)
	}
	var open *tls.Conn
	for range 100 {
		c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "weighted.example.com", InsecureSkipVerify: true})
		if err != nil {
			continue
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		if strings.HasPrefix(line, "light-b") {
			open = c
			break
		}
		c.Close()
	}
	if open == nil {
		t.Fatal("no connection reached light's ready pod")
	}
	defer open.Close()
	worker := r.workerPID()
	res := r.apply(weightedPlane(t, port, heavyPort, lightPort, false))
	if res.Err != nil || res.Reloaded() {
		t.Fatalf("not ready: %+v", res)
	}
	_ = open.SetDeadline(time.Now().Add(5 * time.Second))
	reader := bufio.NewReader(open)
	if _, err := fmt.Fprintln(open, "still there"); err != nil {
		t.Fatalf("open connection after the readiness blip: %v", err)
	}
	if line, err := reader.ReadString('\n'); err != nil || strings.TrimSpace(line) != "still there" {
		t.Fatalf("open connection after the readiness blip echoed %q, %v", line, err)
	}
	if got := r.workerPID(); got != worker {
		t.Errorf("worker %d replaced by %d: a reload", worker, got)
	}
	// No new connection reaches the drained pod.
	for range 40 {
		if a, err := probe.TLS(addr, "weighted.example.com"); err != nil || strings.HasPrefix(a.Greeting, "light-b") {
			t.Fatalf("a new connection while light-b drains: %+v %v", a, err)
		}
	}
	if res := r.apply(weightedPlane(t, port, heavyPort, lightPort, true)); res.Err != nil || res.Reloaded() {
		t.Fatalf("ready again: %+v", res)
	}
}
