package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// proxyNamespace is where the replicas' Lease and the Gateways' Services live, as the HAProxy
// pods' namespace does in a cluster.
const proxyNamespace = "haproxy-gateway"

// replicaArgs run a controller as one replica of a deployment in address mode "service": each
// replica binds the Gateways' target ports on an address of its own, as pods do on theirs.
func replicaArgs(bindAddress string, leaseDuration time.Duration) []string {
	return []string{
		"-address-mode=service",
		"-service-type=ClusterIP",
		"-service-namespace=" + proxyNamespace,
		"-service-selector=app.kubernetes.io/name=haproxy-gateway",
		"-service-bind-address=" + bindAddress,
		"-leader-elect",
		"-leader-election-namespace=" + proxyNamespace,
		"-leader-election-lease-duration=" + leaseDuration.String(),
		"-leader-election-renew-deadline=" + (leaseDuration * 3 / 4).String(),
		"-leader-election-retry-period=500ms",
	}
}

// TestReplicasElectOneStatusWriter runs two replicas, each with its own HAProxy. Only the leader
// writes status and Services; when it stops, the other takes over within the lease duration and
// writes status for new routes, and traffic through the remaining replica never fails.
func TestReplicasElectOneStatusWriter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	x := startExample(t)
	e.create(&corev1.Namespace{ObjectMeta: objectMeta("", proxyNamespace)})
	e.create(x.objects...)
	e.create(x.endpointSlices()...)

	const leaseDuration = 4 * time.Second
	first := e.runController(e.cluster.Kubeconfig, replicaArgs("127.0.0.2", leaseDuration)...)
	e.eventually("the first replica leads", 30*time.Second, func() error {
		return expectMetric(first.MetricsAddress, "haproxy_gateway_leader", 1)
	})
	second := e.runController(e.cluster.Kubeconfig, replicaArgs("127.0.0.3", leaseDuration)...)

	address := e.waitExampleProgrammed()
	var svc corev1.Service
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: proxyNamespace, Name: translate.ServiceName("default", "example-gateway")}, &svc); err != nil {
		t.Fatalf("the Gateway's Service: %v", err)
	}
	if address != svc.Spec.ClusterIP {
		t.Errorf("Gateway address %s, want its Service's cluster IP %s", address, svc.Spec.ClusterIP)
	}
	targets := map[int32]string{}
	for _, p := range svc.Spec.Ports {
		targets[p.Port] = strconv.Itoa(int(p.TargetPort.IntVal))
	}
	t.Logf("Gateway address %s, Service %s, target ports %v", address, svc.Name, targets)
	for _, replica := range []string{"127.0.0.2", "127.0.0.3"} {
		e.waitExampleRouted(x, replica+":"+targets[443], replica+":"+targets[8443])
	}
	if err := expectMetric(second.MetricsAddress, "haproxy_gateway_leader", 0); err != nil {
		t.Fatalf("second replica: %v", err)
	}
	if writes := metricSum(t, second.MetricsAddress, "haproxy_gateway_status_writes_total"); writes != 0 {
		t.Fatalf("the follower wrote %v status updates, want none", writes)
	}
	if writes := metricSum(t, first.MetricsAddress, "haproxy_gateway_status_writes_total"); writes == 0 {
		t.Fatal("the leader wrote no status")
	}

	// Constant traffic through the second replica, across the first one stopping.
	var connections, failures atomic.Int64
	var lastFailure atomic.Value
	stopTraffic := make(chan struct{})
	var traffic sync.WaitGroup
	for _, c := range []struct{ addr, name string }{
		{"127.0.0.3:" + targets[443], "foo.example.com"}, {"127.0.0.3:" + targets[8443], "bar.example.com"},
	} {
		traffic.Go(func() {
			for {
				select {
				case <-stopTraffic:
					return
				case <-time.After(5 * time.Millisecond):
				}
				connections.Add(1)
				if _, err := probe.TLS(c.addr, c.name); err != nil {
					failures.Add(1)
					lastFailure.Store(err.Error())
				}
			}
		})
	}

	stopped := time.Now()
	first.Stop()
	e.eventually("the second replica leads", leaseDuration, func() error {
		return expectMetric(second.MetricsAddress, "haproxy_gateway_leader", 1)
	})
	t.Logf("the second replica took over %s after the first stopped", time.Since(stopped).Round(time.Millisecond))

	// The new leader writes status: a new route gets Accepted.
	e.create(examplePassthroughRoute("baz-route", "baz.example.com"))
	e.eventually("baz-route Accepted by the new leader", 20*time.Second, func() error {
		var r gatewayv1.TLSRoute
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "baz-route"}, &r); err != nil {
			return err
		}
		if len(r.Status.Parents) != 1 {
			return fmt.Errorf("parents %v", r.Status.Parents)
		}
		return conditionsTrue(r.Status.Parents[0].Conditions, r.Generation, "Accepted", "ResolvedRefs")
	})
	e.eventually("baz.example.com through the second replica", 20*time.Second, func() error {
		_, err := probe.TLS("127.0.0.3:"+targets[443], "baz.example.com")
		return err
	})
	if writes := metricSum(t, second.MetricsAddress, "haproxy_gateway_status_writes_total"); writes == 0 {
		t.Error("the new leader wrote no status")
	}

	// Keep the traffic going for a whole lease duration after the first replica stopped.
	time.Sleep(time.Until(stopped.Add(leaseDuration)))
	close(stopTraffic)
	traffic.Wait()
	t.Logf("%d connections through the second replica while the first stopped, %d failed", connections.Load(), failures.Load())
	if failures.Load() != 0 {
		t.Errorf("%d of %d connections failed, last: %v", failures.Load(), connections.Load(), lastFailure.Load())
	}
	if connections.Load() < 200 {
		t.Errorf("only %d connections were tried", connections.Load())
	}
}

// expectMetric checks one sample of the metrics at address.
func expectMetric(address, sample string, want float64) error {
	got, err := scrape(address, sample)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s = %v, want %v", sample, got, want)
	}
	return nil
}

func backendRef(service string, port gatewayv1.PortNumber) gatewayv1.BackendRef {
	return gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service), Port: &port}}
}

func ptrTo[T any](v T) *T { return &v }
