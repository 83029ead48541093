package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestClientCertificates asks the clients of a Terminate listener for certificates through the
// Gateway's spec.tls.frontend: with AllowValidOnly a client without a certificate, or with one the
// ConfigMap's CA did not sign, is refused and one it signed is served, its backend learning the
// client's CN from the PROXY header; AllowInsecureFallback takes both and the Gateway says so, and
// a TLS session made then does not resume once a certificate is required again; the CA rotated in
// the ConfigMap serves the new client and refuses the old one, whose earlier session does not
// resume either.
func TestClientCertificates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, err := testtls.NewClient("alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := testtls.NewClient("bob")
	if err != nil {
		t.Fatal(err)
	}
	// The backend learns the client's certificate from the PROXY header's SSL TLV.
	backend, err := echo.ListenProxied("mutual-1", "10.244.0.60:9080", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)
	objects := terminateGateway(t, "mutual", "mutual.example.com", "mutual-svc", 9080, nil)
	for _, o := range objects {
		if gw, ok := o.(*gatewayv1.Gateway); ok {
			gw.Spec.TLS = &gatewayv1.GatewayTLSConfig{Frontend: &gatewayv1.FrontendTLSConfig{Default: gatewayv1.TLSConfig{
				Validation: &gatewayv1.FrontendTLSValidation{CACertificateRefs: []gatewayv1.ObjectReference{{Kind: "ConfigMap", Name: "client-ca"}}}}}}
		}
	}
	e.create(objects...)
	svc := service("default", "mutual-svc", 9080, "tcp")
	svc.Spec.Ports[0].AppProtocol = ptrTo("haproxy-gateway.io/proxy-v2-ssl")
	e.create(
		svc,
		endpointSlice("default", "mutual-svc", "tcp", 9080, "10.244.0.60"),
		&corev1.ConfigMap{ObjectMeta: objectMeta("default", "client-ca"), Data: map[string]string{"ca.crt": string(alice.CertPEM)}},
	)
	e.startController()
	address := e.gatewayAddress("mutual-gateway") + ":8443"

	// identifyResuming says what the backend learnt of the client, or why the connection failed;
	// with sessions, the client resumes a TLS session it holds there.
	identifyResuming := func(client *testtls.Pair, sessions tls.ClientSessionCache) (string, error) {
		config := &tls.Config{ServerName: "mutual.example.com", InsecureSkipVerify: true, ClientSessionCache: sessions}
		if client != nil {
			cert, err := client.TLSCertificate()
			if err != nil {
				return "", err
			}
			// Sent whatever CAs the gateway names: Go would otherwise send no certificate the
			// gateway's CAs did not issue.
			config.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}
		_, greeting, err := greeted(address, config)
		return greeting, err
	}
	identify := func(client *testtls.Pair) (string, error) { return identifyResuming(client, nil) }
	connect := func(client *testtls.Pair) error {
		_, err := identify(client)
		return err
	}
	served := func(client *testtls.Pair) func() error { return func() error { return connect(client) } }
	refused := func(client *testtls.Pair) func() error {
		return func() error {
			if connect(client) == nil {
				return fmt.Errorf("served; want the connection refused")
			}
			return nil
		}
	}
	e.eventually("alice's certificate served", 30*time.Second, served(&alice))
	if greeting, err := identify(&alice); err != nil || greeting != echo.ProxiedGreeting("mutual-1", false, "", "<client> cn=alice verified=true") {
		t.Errorf("the backend learnt %q, %v; want alice, verified", greeting, err)
	}
	e.eventually("no certificate refused", 5*time.Second, refused(nil))
	e.eventually("bob's certificate, which the CA did not sign, refused", 5*time.Second, refused(&bob))

	setMode := func(mode gatewayv1.FrontendValidationModeType) {
		t.Helper()
		gw := &gatewayv1.Gateway{ObjectMeta: objectMeta("default", "mutual-gateway")}
		e.modify(gw, func() { gw.Spec.TLS.Frontend.Default.Validation.Mode = mode })
	}
	insecure := func(want bool) func() error {
		return func() error {
			var gw gatewayv1.Gateway
			if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "mutual-gateway"}, &gw); err != nil {
				return err
			}
			c := meta.FindStatusCondition(gw.Status.Conditions, string(gatewayv1.GatewayConditionInsecureFrontendValidationMode))
			switch {
			case want && (c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != gw.Generation):
				return fmt.Errorf("InsecureFrontendValidationMode: %+v", c)
			case !want && c != nil:
				return fmt.Errorf("InsecureFrontendValidationMode still there: %+v", c)
			}
			return nil
		}
	}
	setMode(gatewayv1.AllowInsecureFallback)
	e.eventually("AllowInsecureFallback serves a client without a certificate", 20*time.Second, served(nil))
	if greeting, err := identify(nil); err != nil || greeting != echo.ProxiedGreeting("mutual-1", false, "", "<client> cn= verified=false") {
		t.Errorf("the backend learnt %q, %v; want no certificate", greeting, err)
	}
	e.eventually("AllowInsecureFallback serves bob, whose certificate the CA did not sign", 20*time.Second, served(&bob))
	if greeting, err := identify(&bob); err != nil || greeting != echo.ProxiedGreeting("mutual-1", false, "", "<client> cn=bob verified=false") {
		t.Errorf("the backend learnt %q, %v; want bob, not verified", greeting, err)
	}
	e.eventually("the Gateway says it takes clients without a valid certificate", 20*time.Second, insecure(true))
	// A session made without a certificate must not resume once one is required.
	sessions := tls.NewLRUClientSessionCache(4)
	if _, err := identifyResuming(nil, sessions); err != nil {
		t.Fatalf("a client without a certificate under AllowInsecureFallback: %v", err)
	}
	setMode(gatewayv1.AllowValidOnly)
	e.eventually("AllowValidOnly refuses a client without a certificate again", 20*time.Second, refused(nil))
	e.eventually("the Gateway's InsecureFrontendValidationMode condition removed", 20*time.Second, insecure(false))
	e.eventually("AllowValidOnly refuses bob again", 20*time.Second, refused(&bob))
	if greeting, err := identifyResuming(nil, sessions); err == nil {
		t.Errorf("a TLS session made under AllowInsecureFallback resumed without a certificate: the backend learnt %q", greeting)
	}

	// A session alice makes now must not resume once her CA is gone.
	aliceSessions := tls.NewLRUClientSessionCache(4)
	if _, err := identifyResuming(&alice, aliceSessions); err != nil {
		t.Fatalf("alice before the CA rotation: %v", err)
	}
	var cm corev1.ConfigMap
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "client-ca"}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["ca.crt"] = string(bob.CertPEM)
	if err := e.client.Update(ctx, &cm); err != nil {
		t.Fatal(err)
	}
	e.eventually("the rotated CA serves bob", 20*time.Second, served(&bob))
	e.eventually("the rotated CA refuses alice", 5*time.Second, refused(&alice))
	if greeting, err := identifyResuming(&alice, aliceSessions); err == nil {
		t.Errorf("alice resumed a TLS session from before her CA was removed: the backend learnt %q", greeting)
	}
}
