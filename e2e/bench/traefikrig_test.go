package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestTraefikRig starts Traefik as a second Gateway API implementation on the benchmark's API
// server, with the benchmark's backends, Secrets and Services, and checks that a Passthrough and
// a Terminate TLSRoute on its Gateway are Accepted by it and reach their backends through it.
func TestTraefikRig(t *testing.T) {
	if os.Getenv("HAPROXY_GATEWAY_BENCH") == "" {
		t.Skip("runs with the benchmarks' set-up (HAPROXY_GATEWAY_BENCH=1)")
	}
	traefikBinary(t)
	r := newRig(t)
	if err := TuneNetworkNamespace(); err != nil {
		t.Fatal(err)
	}
	r.setUpBackends()
	r.create(traefikGatewayClass(), traefikGateway())
	p := r.startTraefik("rig")
	address := r.waitTraefik(p, time.Minute)

	routes := []struct {
		route *gatewayv1.TLSRoute
		port  int
	}{
		{tlsRouteOn(traefikGatewayName, "traefik-passthrough", "traefik", "passthrough", "passthrough.traefik.bench.test", "passthrough", 9443), 443},
		{tlsRouteOn(traefikGatewayName, "traefik-ecdsa", "traefik", "terminate-ecdsa", "ecdsa.bench.test", "plain", 9080), 8443},
	}
	start := time.Now()
	for _, rt := range routes {
		r.create(rt.route)
	}
	for _, rt := range routes {
		hostname := string(rt.route.Spec.Hostnames[0])
		took, err := WaitRoutable(start, net.JoinHostPort(address, strconv.Itoa(rt.port)), hostname, 50*time.Millisecond, time.Minute)
		if err != nil {
			t.Fatalf("route %s through Traefik: %v (its log: %s)", rt.route.Name, err, p.LogPath)
		}
		t.Logf("%s reaches its backend through Traefik %s after its creation", hostname, took.Round(time.Millisecond))
	}
	r.eventually("routes Accepted by Traefik", time.Minute, func() error {
		for _, rt := range routes {
			var got gatewayv1.TLSRoute
			if err := r.client.Get(context.Background(), client.ObjectKeyFromObject(rt.route), &got); err != nil {
				return err
			}
			if !routeAcceptedBy(&got, traefikControllerID) {
				return fmt.Errorf("%s: parents %+v", got.Name, got.Status.Parents)
			}
		}
		return nil
	})
}
