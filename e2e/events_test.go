package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestEventsOncePerTransition: a listener whose certificate Secret is missing and a route whose
// backend is in another namespace without a ReferenceGrant each get one Warning Event with the
// spec's reason, on the Gateway and on the route, that `kubectl describe` finds (by UID); further
// rebuilds of the same failures add none. Fixing both gives one Normal Event each.
func TestEventsOncePerTransition(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cert, err := testtls.New("secure.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tlsMode := func(m gatewayv1.TLSModeType) *gatewayv1.ListenerTLSConfig {
		return &gatewayv1.ListenerTLSConfig{Mode: &m, CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "missing"}}}
	}
	other := gatewayv1.Namespace("other")
	section := gatewayv1.SectionName("pass")
	e.create(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
		service("other", "backend", 9443, "tls"),
		&gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "events"}, Spec: gatewayv1.GatewayClassSpec{ControllerName: controllerName}},
		&gatewayv1.Gateway{ObjectMeta: objectMeta("default", "gw"), Spec: gatewayv1.GatewaySpec{GatewayClassName: "events",
			Listeners: []gatewayv1.Listener{
				{Name: "pass", Port: 443, Protocol: gatewayv1.TLSProtocolType, TLS: &gatewayv1.ListenerTLSConfig{Mode: ptrTo(gatewayv1.TLSModePassthrough)}},
				{Name: "secure", Port: 8443, Protocol: gatewayv1.TLSProtocolType, Hostname: ptrTo(gatewayv1.Hostname("secure.example.com")), TLS: tlsMode(gatewayv1.TLSModeTerminate)},
			}}},
		&gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "cross"), Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw", SectionName: &section}}},
			Hostnames:       []gatewayv1.Hostname{"cross.example.com"},
			Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{BackendObjectReference: gatewayv1.BackendObjectReference{
				Name: "backend", Namespace: &other, Port: ptrTo(gatewayv1.PortNumber(9443))}}}}},
		}},
	)
	e.startController()

	gateway := types.NamespacedName{Namespace: "default", Name: "gw"}
	route := types.NamespacedName{Namespace: "default", Name: "cross"}
	e.eventually("Warning InvalidCertificateRef on the Gateway", 60*time.Second, func() error {
		return e.eventCount("Gateway", gateway, "Warning", "InvalidCertificateRef", 1)
	})
	e.eventually("Warning RefNotPermitted on the route", 30*time.Second, func() error {
		return e.eventCount("TLSRoute", route, "Warning", "RefNotPermitted", 1)
	})

	// Rebuilds that find the same failures: a label on the route and on the Gateway, and a few
	// retry intervals.
	for _, obj := range []client.Object{&gatewayv1.TLSRoute{}, &gatewayv1.Gateway{}} {
		key := route
		if _, ok := obj.(*gatewayv1.Gateway); ok {
			key = gateway
		}
		obj.SetNamespace(key.Namespace)
		obj.SetName(key.Name)
		// A patch, not an update: the controller writes status meanwhile.
		if err := e.client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"touched":"yes"}}}`))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(6 * time.Second)
	for _, c := range []struct {
		kind   string
		key    types.NamespacedName
		reason string
	}{{"Gateway", gateway, "InvalidCertificateRef"}, {"TLSRoute", route, "RefNotPermitted"}} {
		if err := e.eventCount(c.kind, c.key, "Warning", c.reason, 1); err != nil {
			t.Errorf("after rebuilds: %v", err)
		}
	}

	// Fixed: the Secret appears, and a ReferenceGrant allows the backend.
	e.create(
		&corev1.Secret{ObjectMeta: objectMeta("default", "missing"), Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: cert.CertPEM, corev1.TLSPrivateKeyKey: cert.KeyPEM}},
		&gatewayv1.ReferenceGrant{ObjectMeta: objectMeta("other", "allow"), Spec: gatewayv1.ReferenceGrantSpec{
			From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "TLSRoute", Namespace: "default"}},
			To:   []gatewayv1.ReferenceGrantTo{{Kind: "Service"}},
		}},
	)
	e.eventually("Normal ResolvedRefs on the Gateway", 30*time.Second, func() error {
		return e.eventCount("Gateway", gateway, "Normal", "ResolvedRefs", 1)
	})
	e.eventually("Normal ResolvedRefs on the route", 30*time.Second, func() error {
		return e.eventCount("TLSRoute", route, "Normal", "ResolvedRefs", 1)
	})
	var all eventsv1.EventList
	if err := e.client.List(ctx, &all); err != nil {
		t.Fatal(err)
	}
	for _, ev := range all.Items {
		if leaks := cert.KeyMaterialIn(ev.Note); len(leaks) > 0 {
			t.Errorf("Event %s holds key material", ev.Name)
		}
		t.Logf("%s %s %s/%s %s: %s", ev.Type, ev.Regarding.Kind, ev.Regarding.Namespace, ev.Regarding.Name, ev.Reason, ev.Note)
	}
}

// eventCount checks that exactly want Events of type and reason are about the object, and that
// the core/v1 view `kubectl describe` reads names the object by its UID.
func (e *env) eventCount(kind string, key types.NamespacedName, eventType, reason string, want int) error {
	ctx := context.Background()
	var obj client.Object = &gatewayv1.Gateway{}
	if kind == "TLSRoute" {
		obj = &gatewayv1.TLSRoute{}
	}
	if err := e.client.Get(ctx, key, obj); err != nil {
		return err
	}
	var list corev1.EventList
	if err := e.client.List(ctx, &list, client.InNamespace(key.Namespace)); err != nil {
		return err
	}
	var got []string
	count := 0
	for _, ev := range list.Items {
		if ev.InvolvedObject.Kind != kind || ev.InvolvedObject.UID != obj.GetUID() {
			continue
		}
		got = append(got, ev.Type+" "+ev.Reason)
		if ev.Type == eventType && ev.Reason == reason {
			// A series (the same Event again within minutes) would show as a count above 1.
			n := max(1, int(ev.Count))
			if ev.Series != nil {
				n = int(ev.Series.Count)
			}
			count += n
		}
	}
	if count != want {
		return fmt.Errorf("%s %s: %d %s %s Events, want %d; all: %s", kind, key, count, eventType, reason, want, strings.Join(got, ", "))
	}
	return nil
}
