package e2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestTLSRoutingExample applies deploy/examples/tls-routing to a real API server, with backends
// at pod addresses, and checks statuses and traffic through HAProxy; then deletes a route and
// scales endpoints and checks traffic follows.
func TestTLSRoutingExample(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	example := startExample(t)
	e.create(example.objects...)
	e.create(example.endpointSlices()...)
	e.startController()

	address := e.waitExampleProgrammed()
	t.Logf("Gateway address %s", address)
	passthrough, terminate := address+":443", address+":8443"
	e.waitExampleRouted(example, passthrough, terminate)

	// Deleting bar-route stops bar.example.com; foo.example.com keeps working. Route deletion
	// and endpoint changes go through HAProxy's runtime API: the worker stays the same.
	worker := e.workerPID()
	if err := e.client.Delete(ctx, &gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "bar-route")}); err != nil {
		t.Fatal(err)
	}
	// The Terminate port has Terminate listeners alone: its handshake comes before the route
	// lookup, so the name is refused right after it.
	e.eventually("bar.example.com refused after bar-route is deleted", 20*time.Second, func() error {
		return probe.Refused(terminate, "bar.example.com")
	})
	if _, err := probe.TLS(passthrough, "foo.example.com"); err != nil {
		t.Fatalf("foo.example.com after deleting bar-route: %v", err)
	}
	e.eventually("listener tls-terminate attachedRoutes 0", 20*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "example-gateway"}, &gw); err != nil {
			return err
		}
		for _, l := range gw.Status.Listeners {
			if l.Name == "tls-terminate" && l.AttachedRoutes != 0 {
				return fmt.Errorf("attachedRoutes %d", l.AttachedRoutes)
			}
		}
		return nil
	})

	// Scaling foo: traffic follows the endpoints.
	scaleFoo := func(addresses ...string) {
		t.Helper()
		var slice discoveryv1.EndpointSlice
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "foo-svc-e2e"}, &slice); err != nil {
			t.Fatal(err)
		}
		slice.Endpoints = endpointSlice("default", "foo-svc", "tls", 9443, addresses...).Endpoints
		if err := e.client.Update(ctx, &slice); err != nil {
			t.Fatal(err)
		}
	}
	fooPods := func(want ...string) func() error {
		return func() error {
			seen := map[string]bool{}
			for range 12 {
				a, err := probe.TLS(passthrough, "foo.example.com")
				if err != nil {
					return err
				}
				seen[strings.Fields(a.Greeting)[0]] = true
			}
			var got []string
			for p := range seen {
				got = append(got, p)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("connections reached %v, want %v", got, want)
			}
			return nil
		}
	}
	scaleFoo("10.244.0.10", "10.244.0.11")
	e.eventually("foo scaled to two endpoints", 20*time.Second, fooPods("foo-1", "foo-2"))
	scaleFoo("10.244.0.11")
	e.eventually("foo scaled down to foo-2", 20*time.Second, fooPods("foo-2"))
	// The server of the endpoint that left goes out of service at once and is deleted seconds
	// later, once no stream of a failed connection can still name it (haproxy/leaving.go).
	e.eventually("the server of the endpoint that left deleted", 20*time.Second, func() error {
		servers, err := serversState(filepath.Join(e.haproxyRunDir, "stats.sock"))
		if err != nil {
			return err
		}
		for _, s := range servers {
			if strings.Contains(s.Name, "foo-svc:10.244.0.10:") {
				return fmt.Errorf("server %s/%s is still there (running: %t)", s.Backend, s.Name, s.Running)
			}
		}
		return nil
	})
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy reloaded for a route deletion or endpoint changes: worker %d became %d", worker, now)
	}

	// The controller's metrics count what it did.
	for _, sample := range []string{
		`haproxy_gateway_runtime_operations_total{operation="add server"}`,
		`haproxy_gateway_runtime_operations_total{operation="del server"}`,
		`haproxy_gateway_runtime_operations_total{operation="del map"}`,
		`haproxy_gateway_reloads_total{reason="config-changed"}`,
		`haproxy_gateway_change_to_applied_seconds_count`,
	} {
		if v := e.metric(sample); v < 1 {
			t.Errorf("metric %s = %v, want at least 1", sample, v)
		}
	}
	if v := e.metric("haproxy_gateway_runtime_failures_total"); v != 0 {
		t.Errorf("haproxy_gateway_runtime_failures_total = %v, want 0", v)
	}
	// The start's steps, each once and in order, and how long HAProxy's reloads took.
	started := e.metric(`haproxy_gateway_start_seconds{step="haproxy_started"}`)
	synced := e.metric(`haproxy_gateway_start_seconds{step="caches_synced"}`)
	programmed := e.metric(`haproxy_gateway_start_seconds{step="data_plane_programmed"}`)
	if started <= 0 || synced <= 0 || programmed < max(started, synced) {
		t.Errorf("start steps: HAProxy started %v s, caches synced %v s, data plane programmed %v s; want all set, programmed last",
			started, synced, programmed)
	}
	if n, sum := e.metric("haproxy_gateway_reload_seconds_count"), e.metric("haproxy_gateway_reload_seconds_sum"); n < 1 || sum <= 0 {
		t.Errorf("haproxy_gateway_reload_seconds: %v reloads, %v s in all; want at least one that took time", n, sum)
	}
}

// conditionsTrue checks that each condition type is True and current.
func conditionsTrue(conditions []metav1.Condition, generation int64, types ...string) error {
	for _, ct := range types {
		c := meta.FindStatusCondition(conditions, ct)
		if c == nil {
			return fmt.Errorf("no %s condition", ct)
		}
		if c.Status != metav1.ConditionTrue || c.ObservedGeneration != generation {
			return fmt.Errorf("%s is %s (%s: %s), observedGeneration %d of %d", ct, c.Status, c.Reason, c.Message, c.ObservedGeneration, generation)
		}
	}
	return nil
}

// loadExample reads the cluster manifests of the TLS routing example (not its standalone/ part).
func loadExample(t *testing.T) []client.Object {
	dir := filepath.Join(repoRoot(t), "deploy", "examples", "tls-routing")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	decoder := serializer.NewCodecFactory(e2eScheme()).UniversalDeserializer()
	var out []client.Object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		reader := utilyaml.NewYAMLReader(bufioReader(raw))
		for {
			doc, err := reader.Read()
			if err != nil {
				break
			}
			obj, _, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			o := obj.(client.Object)
			if o.GetNamespace() == "" && !isClusterScoped(o) {
				o.SetNamespace("default")
			}
			out = append(out, o)
		}
	}
	return out
}

func isClusterScoped(o client.Object) bool {
	_, ok := o.(*gatewayv1.GatewayClass)
	return ok
}

// secretSerial is the serial of the certificate in the example's tls-terminate-certificate.
func secretSerial(t *testing.T, objects []client.Object) *big.Int {
	for _, o := range objects {
		if s, ok := o.(*corev1.Secret); ok && s.Name == "tls-terminate-certificate" {
			block, _ := pem.Decode(s.Data[corev1.TLSCertKey])
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return cert.SerialNumber
		}
	}
	t.Fatal("example has no tls-terminate-certificate Secret")
	return nil
}

// example is the TLS routing example (deploy/examples/tls-routing) with its backends serving at
// pod addresses: two foo pods terminating TLS themselves, one plain bar pod.
type example struct {
	objects []client.Object
	fooCert testtls.Pair
	// gatewaySerial is the serial of the certificate the tls-terminate listener presents.
	gatewaySerial *big.Int
}

func startExample(t *testing.T) *example {
	t.Helper()
	fooCert, err := testtls.New("foo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	fooTLS, _ := fooCert.TLSCertificate()
	for _, b := range []struct {
		name, addr string
		tls        bool
	}{{"foo-1", "10.244.0.10:9443", true}, {"foo-2", "10.244.0.11:9443", true}, {"bar-1", "10.244.0.20:9080", false}} {
		var cert = &fooTLS
		if !b.tls {
			cert = nil
		}
		s, err := echo.Listen(b.name, b.addr, cert)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
	}
	objects := loadExample(t)
	return &example{objects: objects, fooCert: fooCert, gatewaySerial: secretSerial(t, objects)}
}

// endpointSlices stand in for the EndpointSlice controller: foo-1 behind foo-svc, bar-1 behind
// bar-svc.
func (x *example) endpointSlices() []client.Object {
	return []client.Object{
		endpointSlice("default", "foo-svc", "tls", 9443, "10.244.0.10"),
		endpointSlice("default", "bar-svc", "tcp", 9080, "10.244.0.20"),
	}
}

// answersFrom reports nil when hostname through addr reaches the TLS echo backend named backend.
func answersFrom(addr, hostname, backend string) error {
	return answersWithSNI(addr, hostname, backend, hostname)
}

// answersWithSNI reports nil when hostname through addr reaches the TLS echo backend named
// backend, which saw sni as the server name.
func answersWithSNI(addr, hostname, backend, sni string) error {
	a, err := probe.TLS(addr, hostname)
	if err != nil {
		return err
	}
	if want := echo.Greeting(backend, true, sni); a.Greeting != want {
		return fmt.Errorf("answered %q, want %q", a.Greeting, want)
	}
	return nil
}

// examplePassthroughRoute is one more route on the example's Passthrough listener, to foo-svc.
func examplePassthroughRoute(name, hostname string) *gatewayv1.TLSRoute {
	return &gatewayv1.TLSRoute{
		ObjectMeta: objectMeta("default", name),
		Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: "example-gateway", SectionName: ptrTo(gatewayv1.SectionName("tls"))}}},
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(hostname)},
			Rules:     []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{backendRef("foo-svc", 443)}}},
		},
	}
}

// waitExampleProgrammed waits for the example's GatewayClass, Gateway, listeners and routes to be
// Accepted, Programmed and resolved, and returns the Gateway's address.
func (e *env) waitExampleProgrammed() string {
	e.t.Helper()
	ctx := context.Background()
	e.eventually("GatewayClass Accepted", 30*time.Second, func() error {
		var gc gatewayv1.GatewayClass
		if err := e.client.Get(ctx, client.ObjectKey{Name: "example-gateway-class"}, &gc); err != nil {
			return err
		}
		return conditionsTrue(gc.Status.Conditions, gc.Generation, "Accepted", "SupportedVersion")
	})
	var address string
	e.eventually("Gateway Accepted and Programmed with an address", 30*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "example-gateway"}, &gw); err != nil {
			return err
		}
		if err := conditionsTrue(gw.Status.Conditions, gw.Generation, "Accepted", "Programmed"); err != nil {
			return err
		}
		if len(gw.Status.Addresses) != 1 {
			return fmt.Errorf("addresses %v", gw.Status.Addresses)
		}
		address = gw.Status.Addresses[0].Value
		if len(gw.Status.Listeners) != 2 {
			return fmt.Errorf("listeners %v", gw.Status.Listeners)
		}
		for _, l := range gw.Status.Listeners {
			if l.AttachedRoutes != 1 {
				return fmt.Errorf("listener %s attachedRoutes %d, want 1", l.Name, l.AttachedRoutes)
			}
			if err := conditionsTrue(l.Conditions, gw.Generation, "Accepted", "Programmed", "ResolvedRefs"); err != nil {
				return fmt.Errorf("listener %s: %w", l.Name, err)
			}
		}
		return nil
	})
	for _, name := range []string{"foo-route", "bar-route"} {
		e.eventually(name+" Accepted and ResolvedRefs", 30*time.Second, func() error {
			var r gatewayv1.TLSRoute
			if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, &r); err != nil {
				return err
			}
			if len(r.Status.Parents) != 1 {
				return fmt.Errorf("parents %v", r.Status.Parents)
			}
			return conditionsTrue(r.Status.Parents[0].Conditions, r.Generation, "Accepted", "ResolvedRefs")
		})
	}
	return address
}

// waitExampleRouted checks the example's traffic: passthrough reaches foo's own TLS, terminate
// gets the listener's certificate and reaches bar in plain TCP, and names a listener does not
// serve are refused.
// servedExample is the TLS routing example served by a controller of its own.
type servedExample struct {
	*example
	controller             *controllerProcess
	passthrough, terminate string
}

// serveExample applies the TLS routing example with its backends, runs a controller with the
// Gateway pool and args, and waits until the example is programmed and routed.
func (e *env) serveExample(args ...string) servedExample {
	e.t.Helper()
	x := startExample(e.t)
	e.create(x.objects...)
	e.create(x.endpointSlices()...)
	c := e.runController(e.cluster.Kubeconfig, append([]string{"-address-pool", gatewayPool}, args...)...)
	address := e.waitExampleProgrammed()
	s := servedExample{example: x, controller: c, passthrough: address + ":443", terminate: address + ":8443"}
	e.waitExampleRouted(x, s.passthrough, s.terminate)
	return s
}

func (e *env) waitExampleRouted(x *example, passthrough, terminate string) {
	e.t.Helper()
	e.eventually("foo.example.com through passthrough on "+passthrough, 20*time.Second, func() error {
		a, err := probe.TLS(passthrough, "foo.example.com")
		if err != nil {
			return err
		}
		if a.Greeting != echo.Greeting("foo-1", true, "foo.example.com") || a.Serial.Cmp(x.fooCert.Serial) != 0 {
			return fmt.Errorf("answered %q, serial %v", a.Greeting, a.Serial)
		}
		return nil
	})
	e.eventually("bar.example.com through terminate on "+terminate, 20*time.Second, func() error {
		a, err := probe.TLS(terminate, "bar.example.com")
		if err != nil {
			return err
		}
		if a.Greeting != echo.Greeting("bar-1", false, "") || a.Serial.Cmp(x.gatewaySerial) != 0 {
			return fmt.Errorf("answered %q, serial %v (want the Secret's %v)", a.Greeting, a.Serial, x.gatewaySerial)
		}
		return nil
	})
	for _, c := range []struct{ addr, name string }{{passthrough, "unknown.example.com"}, {terminate, "foo.example.com"}, {passthrough, "bar.example.com"}} {
		if err := probe.Rejected(c.addr, c.name); err != nil {
			e.t.Errorf("%s on %s: %v", c.name, c.addr, err)
		}
	}
}
