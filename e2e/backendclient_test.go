package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestBackendClientCertificate re-encrypts to a backend that asks for a client certificate and
// trusts only the gateway's: with the Gateway's spec.tls.backend.clientCertificateRef the backend
// is reached; the Secret rotated to a certificate the backend does not trust is refused, and
// rotated back serves again, without a reload; without the reference the backend refuses the
// gateway.
func TestBackendClientCertificate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	backendCert, err := testtls.New(backendName)
	if err != nil {
		t.Fatal(err)
	}
	gatewayClient, err := testtls.NewClient("gateway.example.com")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := testtls.NewClient("stranger.example.com")
	if err != nil {
		t.Fatal(err)
	}
	serving, _ := backendCert.TLSCertificate()
	trusted := x509.NewCertPool()
	trusted.AppendCertsFromPEM(gatewayClient.CertPEM)
	backend, err := echo.ListenTLS("authn-1", "10.244.0.70:9443", &tls.Config{Certificates: []tls.Certificate{serving},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: trusted})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)

	objects := terminateGateway(t, "authn", "authn.example.com", "authn-svc", 443, nil)
	for _, o := range objects {
		if gw, ok := o.(*gatewayv1.Gateway); ok {
			gw.Spec.TLS = &gatewayv1.GatewayTLSConfig{Backend: &gatewayv1.GatewayBackendTLS{
				ClientCertificateRef: &gatewayv1.SecretObjectReference{Name: "gateway-client"}}}
		}
	}
	e.create(objects...)
	e.create(
		service("default", "authn-svc", 443, "https"),
		endpointSlice("default", "authn-svc", "https", 9443, "10.244.0.70"),
		clientSecret("gateway-client", gatewayClient),
		&corev1.ConfigMap{ObjectMeta: objectMeta("default", "backend-ca"), Data: map[string]string{"ca.crt": string(backendCert.CertPEM)}},
		verifiedPolicy("authn-backend", "authn-svc"),
	)
	e.startController()
	address := e.gatewayAddress("authn-gateway") + ":8443"
	served, refused := answeredBy(address, "authn.example.com", "authn-1"), closedFor(address, "authn.example.com")
	e.eventually("the backend reached with the gateway's client certificate", 30*time.Second, served)
	e.eventually("Gateway ResolvedRefs True", 20*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "authn-gateway"}, &gw); err != nil {
			return err
		}
		return conditionsTrue(gw.Status.Conditions, gw.Generation, string(gatewayv1.GatewayConditionResolvedRefs))
	})
	worker := e.workerPID()

	rotate := func(pair testtls.Pair) {
		t.Helper()
		if err := e.client.Update(ctx, clientSecret("gateway-client", pair)); err != nil {
			t.Fatal(err)
		}
	}
	rotate(stranger)
	e.eventually("a client certificate the backend does not trust refused", 20*time.Second, refused)
	rotate(gatewayClient)
	e.eventually("the trusted client certificate back serves", 20*time.Second, served)
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy worker %d became %d: a client certificate rotation reloaded", worker, now)
	}

	gw := &gatewayv1.Gateway{ObjectMeta: objectMeta("default", "authn-gateway")}
	e.modify(gw, func() { gw.Spec.TLS = nil })
	e.eventually("without a client certificate the backend refuses the gateway", 20*time.Second, refused)
	e.eventually("the Gateway's ResolvedRefs condition removed", 20*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "authn-gateway"}, &gw); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(gw.Status.Conditions, string(gatewayv1.GatewayConditionResolvedRefs)); c != nil {
			return fmt.Errorf("ResolvedRefs still there: %+v", c)
		}
		return nil
	})
}

// clientSecret is a kubernetes.io/tls Secret in "default" holding pair.
func clientSecret(name string, pair testtls.Pair) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: objectMeta("default", name), Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}}
}
