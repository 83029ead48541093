package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRefusedCertificateIsIsolated runs the TLS routing example, then adds a second Gateway whose
// Terminate listener names an RSA-1024 certificate, which HAProxy's OpenSSL refuses. Only that
// listener and its Gateway are Programmed=False, with a reason and a message; the example's
// Gateway stays programmed and serves, and an endpoint change on it reaches HAProxy within a
// second. The refusal is logged once, not at every retry. (Once certificates are validated before
// they reach HAProxy, the same holds without a refusal.)
func TestRefusedCertificateIsIsolated(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	served := e.serveExample()
	example, passthrough, terminate := served.example, served.passthrough, served.terminate

	weak, err := testtls.NewRSA1024("weak.example.com")
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: objectMeta("default", "weak-certificate"), Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: weak.CertPEM, corev1.TLSPrivateKeyKey: weak.KeyPEM}}
	terminateMode := gatewayv1.TLSModeTerminate
	gateway := &gatewayv1.Gateway{ObjectMeta: objectMeta("default", "weak-gateway"), Spec: gatewayv1.GatewaySpec{
		GatewayClassName: "example-gateway-class",
		Listeners: []gatewayv1.Listener{{Name: "tls-terminate", Protocol: gatewayv1.TLSProtocolType, Port: 8443,
			TLS: &gatewayv1.ListenerTLSConfig{Mode: &terminateMode, CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "weak-certificate"}}}}},
	}}
	port := gatewayv1.PortNumber(8080)
	route := &gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "weak-route"), Spec: gatewayv1.TLSRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "weak-gateway"}}},
		Hostnames:       []gatewayv1.Hostname{"weak.example.com"},
		Rules:           []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "bar-svc", Port: &port}}}}},
	}}
	e.create(secret, gateway, route)

	e.eventually("weak-gateway's listener not programmed, with a reason and a message", 30*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "weak-gateway"}, &gw); err != nil {
			return err
		}
		if len(gw.Status.Listeners) != 1 {
			return fmt.Errorf("listeners %v", gw.Status.Listeners)
		}
		for what, c := range map[string]*metav1.Condition{
			"listener": meta.FindStatusCondition(gw.Status.Listeners[0].Conditions, string(gatewayv1.ListenerConditionProgrammed)),
			"Gateway":  meta.FindStatusCondition(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed)),
		} {
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != string(gatewayv1.ListenerReasonInvalid) || c.Message == "" || c.ObservedGeneration != gw.Generation {
				return fmt.Errorf("%s Programmed: %+v", what, c)
			}
			if strings.Contains(c.Message, "BEGIN") {
				t.Fatalf("%s Programmed message holds PEM", what)
			}
			t.Logf("%s Programmed: %s: %s", what, c.Reason, c.Message)
		}
		return nil
	})
	var gw gatewayv1.Gateway
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "example-gateway"}, &gw); err != nil {
		t.Fatal(err)
	}
	if err := conditionsTrue(gw.Status.Conditions, gw.Generation, "Programmed"); err != nil {
		t.Errorf("example-gateway beside a refused certificate: %v", err)
	}
	e.waitExampleRouted(example, passthrough, terminate)

	// An endpoint change on the example's Gateway reaches HAProxy within a second.
	var slice discoveryv1.EndpointSlice
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "foo-svc-e2e"}, &slice); err != nil {
		t.Fatal(err)
	}
	slice.Endpoints = endpointSlice("default", "foo-svc", "tls", 9443, "10.244.0.11").Endpoints
	if err := e.client.Update(ctx, &slice); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	for {
		a, err := probe.TLS(passthrough, "foo.example.com")
		if err == nil && strings.HasPrefix(a.Greeting, "foo-2 ") {
			break
		}
		if time.Since(changed) > time.Second {
			t.Fatalf("the endpoint change did not reach HAProxy within a second: %q, %v", a.Greeting, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("endpoint change served after %s", time.Since(changed))

	// Retries would come every 2 s: the refusal is said at most once (none when inputs are
	// validated before they reach HAProxy), and nothing keeps failing.
	time.Sleep(5 * time.Second)
	logs := e.logs.String()
	if n := strings.Count(logs, "HAProxy refused this object's configuration"); n > 1 {
		t.Errorf("the refusal was logged %d times, want once", n)
	}
	if strings.Contains(logs, "data plane did not take the configuration") {
		t.Error("an apply failed: the refused certificate was not isolated")
	}
	if n := e.metric("haproxy_gateway_refused_objects"); n > 1 {
		t.Errorf("haproxy_gateway_refused_objects = %v, want at most 1", n)
	}
}
