package status_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestKubeSourceIgnoresWhatNoRouteNames: Secrets, Services and EndpointSlices that no Gateway or
// route names ask for no rebuild and stay out of snapshots, however often they change; the ones
// named do both, including ones created after the route that names them.
func TestKubeSourceIgnoresWhatNoRouteNames(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "interest"

	var mu sync.Mutex
	ignored := map[string]int{}
	src := startSource(ctx, t, c.RestConfig, source.KubeOptions{Log: testLogger(),
		OnIgnored: func(kind string) { mu.Lock(); ignored[kind]++; mu.Unlock() }})
	live := liveClient(t, c)
	gw := newGateway(ns, "gw")
	gw.Spec.Listeners[0].TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModeTerminate),
		CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "named-cert"}}}
	route := newTLSRoute(ns, "r", "gw", "app.example.com", "named-svc")
	create := func(objs ...client.Object) {
		t.Helper()
		for _, obj := range objs {
			if err := live.Create(ctx, obj); err != nil {
				t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
			}
		}
	}
	create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, gw, route)
	// A snapshot holding the route, as the rebuild its creation starts would take: what the
	// source judges later changes by.
	if _, err := waitForSnapshotOf(ctx, src, func(snap *snapshot.Snapshot) bool {
		return slices.ContainsFunc(snap.TLSRoutes, func(r *gatewayv1.TLSRoute) bool { return r.Namespace == ns && r.Name == "r" })
	}); err != nil {
		t.Fatal(err)
	}
	quiet(src.Changes(), time.Second)
	src.TakeChangeCauses()

	pair, err := testtls.New("app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	secret := func(name string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}}
	}
	service := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "tls", Port: 443}}}}
	}
	slice := func(service string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: service + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.9.1"}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("tls"), Port: ptr.To[int32](443)}},
		}
	}

	// Unnamed: created and changed, no rebuild.
	unnamedSlice := slice("other-svc")
	create(secret("other-cert"), service("other-svc"), unnamedSlice)
	for i := range 5 {
		unnamedSlice.Endpoints[0].Addresses[0] = "10.244.9." + string(rune('2'+i))
		if err := live.Update(ctx, unnamedSlice); err != nil {
			t.Fatal(err)
		}
	}
	if quiet(src.Changes(), 3*time.Second) {
		t.Errorf("unnamed objects asked for a rebuild (causes %v)", src.TakeChangeCauses())
	}
	mu.Lock()
	for _, kind := range []string{"Secret", "Service", "EndpointSlice"} {
		if ignored[kind] == 0 {
			t.Errorf("no change of kind %s counted as ignored: %v", kind, ignored)
		}
	}
	mu.Unlock()

	// Named, created after the route and Gateway that name them: each asks for a rebuild.
	for _, obj := range []client.Object{secret("named-cert"), service("named-svc"), slice("named-svc")} {
		create(obj)
		select {
		case <-src.Changes():
		case <-time.After(30 * time.Second):
			t.Fatalf("creating named %T %s asked for no rebuild", obj, obj.GetName())
		}
	}
	quiet(src.Changes(), time.Second)
	if causes := src.TakeChangeCauses(); causes["Secret"] == 0 || causes["Service"] == 0 || causes["EndpointSlice"] == 0 {
		t.Errorf("change causes %v, want the named Secret, Service and EndpointSlice", causes)
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := func(kind string) []string {
		var out []string
		add := func(namespace, name string) {
			if namespace == ns {
				out = append(out, name)
			}
		}
		switch kind {
		case "Secret":
			for _, s := range snap.Secrets {
				add(s.Namespace, s.Name)
			}
		case "Service":
			for _, s := range snap.Services {
				add(s.Namespace, s.Name)
			}
		case "EndpointSlice":
			for _, s := range snap.EndpointSlices {
				add(s.Namespace, s.Name)
			}
		}
		return out
	}
	for kind, want := range map[string][]string{"Secret": {"named-cert"}, "Service": {"named-svc"}, "EndpointSlice": {"named-svc-1"}} {
		if got := names(kind); !slices.Equal(got, want) {
			t.Errorf("snapshot %ss of namespace %s: %v, want %v", kind, ns, got, want)
		}
	}
}
