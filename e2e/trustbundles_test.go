package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestBackendTLSPolicyClusterTrustBundle verifies a re-encrypted backend against the CA of a
// ClusterTrustBundle (certificates.k8s.io/v1beta1, which the 1.36 test control plane serves): the
// bundle replaced by another CA refuses the backend, a bundle holding both serves it again, all
// without a reload; the bundle deleted, the policy says so and the backend takes no connections.
func TestBackendTLSPolicyClusterTrustBundle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rightCA, err := testtls.NewCA("backend roots")
	if err != nil {
		t.Fatal(err)
	}
	wrongCA, err := testtls.NewCA("other roots")
	if err != nil {
		t.Fatal(err)
	}
	backendCert, err := rightCA.Issue(backendName)
	if err != nil {
		t.Fatal(err)
	}
	address := e.reencrypting("secure-1", "10.244.0.41", backendCert,
		trustBundle("backend-roots", rightCA.CertPEM), bundlePolicy("secure-backend", "secure-svc", "backend-roots"))
	reencrypted, refused := answeredBy(address, "secure.example.com", "secure-1"), closedFor(address, "secure.example.com")
	e.eventually("secure.example.com re-encrypted, verified against the ClusterTrustBundle", 30*time.Second, reencrypted)
	e.waitPolicy("secure-backend", "Accepted", metav1.ConditionTrue, string(gatewayv1.PolicyReasonAccepted))
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionTrue, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs))
	worker := e.workerPID()

	setBundle := func(pem []byte) {
		t.Helper()
		b := &certificatesv1beta1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "backend-roots"}}
		e.modify(b, func() { b.Spec.TrustBundle = string(pem) })
	}
	setBundle(wrongCA.CertPEM)
	e.eventually("a backend the bundle's CA did not sign refused", 20*time.Second, refused)
	setBundle(append(append([]byte{}, wrongCA.CertPEM...), rightCA.CertPEM...))
	e.eventually("a bundle holding the backend's CA serves again", 20*time.Second, reencrypted)
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy worker %d became %d: a ClusterTrustBundle change reloaded", worker, now)
	}

	if err := e.client.Delete(ctx, trustBundle("backend-roots", nil)); err != nil {
		t.Fatal(err)
	}
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonInvalidCACertificateRef), "ClusterTrustBundle not found")
	e.waitPolicy("secure-backend", "Accepted", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate))
	e.eventually("a backend without a CA to verify it refused", 20*time.Second, refused)
}

// TestBackendTLSPolicyWithoutClusterTrustBundleAPI runs against an API server that does not serve
// ClusterTrustBundles, as most 1.36 clusters: the controller starts and serves as before, says once
// that it cannot read them, and a policy naming one is not resolved, with a reason that says why;
// switched to a ConfigMap, the policy serves.
func TestBackendTLSPolicyWithoutClusterTrustBundleAPI(t *testing.T) {
	e := newEnvWith(t, cluster.Options{WithoutClusterTrustBundles: true})
	backendCert, err := testtls.New(backendName)
	if err != nil {
		t.Fatal(err)
	}
	address := e.reencrypting("secure-1", "10.244.0.42", backendCert,
		&corev1.ConfigMap{ObjectMeta: objectMeta("default", "backend-ca"), Data: map[string]string{"ca.crt": string(backendCert.CertPEM)}},
		bundlePolicy("secure-backend", "secure-svc", "backend-roots"))
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonInvalidKind), "the API server does not serve them")
	e.waitPolicy("secure-backend", "Accepted", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate))
	e.eventually("a backend without a CA to verify it refused", 20*time.Second, closedFor(address, "secure.example.com"))

	policy := &gatewayv1.BackendTLSPolicy{ObjectMeta: objectMeta("default", "secure-backend")}
	e.modify(policy, func() {
		policy.Spec.Validation.CACertificateRefs = []gatewayv1.LocalObjectReference{{Kind: "ConfigMap", Name: "backend-ca"}}
	})
	e.eventually("the policy naming a ConfigMap re-encrypts", 20*time.Second, answeredBy(address, "secure.example.com", "secure-1"))
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionTrue, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs))

	logs := e.logs.String()
	if n := strings.Count(logs, "ClusterTrustBundles cannot be read"); n != 1 {
		t.Errorf("the controller said %d times that it cannot read ClusterTrustBundles, want once:\n%s", n, logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(strings.ToLower(line), "clustertrustbundle") && (strings.Contains(line, "level=error") || strings.Contains(line, "level=warning")) {
			t.Errorf("the controller complains about ClusterTrustBundles: %s", line)
		}
	}
}

// trustBundle is a ClusterTrustBundle (v1beta1, what the 1.36 control plane serves) without a
// signer, holding pem.
func trustBundle(name string, pem []byte) *certificatesv1beta1.ClusterTrustBundle {
	return &certificatesv1beta1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1beta1.ClusterTrustBundleSpec{TrustBundle: string(pem)}}
}

// bundlePolicy is verifiedPolicy verified against the ClusterTrustBundle bundle instead.
func bundlePolicy(name, service, bundle string) *gatewayv1.BackendTLSPolicy {
	p := verifiedPolicy(name, service)
	p.Spec.Validation.CACertificateRefs = []gatewayv1.LocalObjectReference{{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle", Name: gatewayv1.ObjectName(bundle)}}
	return p
}

// TestClientCertificatesClusterTrustBundle verifies the clients of a Terminate listener against a
// ClusterTrustBundle named by the Gateway's spec.tls.frontend: a client its CA signed is served
// (its backend learning the client's CN), one without a certificate or signed by another CA is
// refused; the bundle replaced by the other CA, the roles swap.
func TestClientCertificatesClusterTrustBundle(t *testing.T) {
	e := newEnv(t)
	rootsA, err := testtls.NewCA("client roots a")
	if err != nil {
		t.Fatal(err)
	}
	rootsB, err := testtls.NewCA("client roots b")
	if err != nil {
		t.Fatal(err)
	}
	carol, err := rootsA.IssueClient("carol")
	if err != nil {
		t.Fatal(err)
	}
	dave, err := rootsB.IssueClient("dave")
	if err != nil {
		t.Fatal(err)
	}
	backend, err := echo.ListenProxied("mutual-1", "10.244.0.62:9080", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)
	objects := terminateGateway(t, "mutual", "mutual.example.com", "mutual-svc", 9080, nil)
	for _, o := range objects {
		if gw, ok := o.(*gatewayv1.Gateway); ok {
			gw.Spec.TLS = &gatewayv1.GatewayTLSConfig{Frontend: &gatewayv1.FrontendTLSConfig{Default: gatewayv1.TLSConfig{
				Validation: &gatewayv1.FrontendTLSValidation{CACertificateRefs: []gatewayv1.ObjectReference{
					{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle", Name: "client-roots"}}}}}}
		}
	}
	e.create(objects...)
	svc := service("default", "mutual-svc", 9080, "tcp")
	svc.Spec.Ports[0].AppProtocol = ptrTo("haproxy-gateway.io/proxy-v2-ssl")
	e.create(svc, endpointSlice("default", "mutual-svc", "tcp", 9080, "10.244.0.62"), trustBundle("client-roots", rootsA.CertPEM))
	e.startController()
	address := e.gatewayAddress("mutual-gateway") + ":8443"

	identify := func(client *testtls.Pair) (string, error) {
		config := &tls.Config{ServerName: "mutual.example.com", InsecureSkipVerify: true}
		if client != nil {
			cert, err := client.TLSCertificate()
			if err != nil {
				return "", err
			}
			config.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}
		_, greeting, err := greeted(address, config)
		return greeting, err
	}
	servedAs := func(client *testtls.Pair, cn string) func() error {
		return func() error {
			greeting, err := identify(client)
			if want := echo.ProxiedGreeting("mutual-1", false, "", "<client> cn="+cn+" verified=true"); err != nil || greeting != want {
				return fmt.Errorf("answered %q, %v; want %q", greeting, err, want)
			}
			return nil
		}
	}
	refused := func(client *testtls.Pair) func() error {
		return func() error {
			if greeting, err := identify(client); err == nil {
				return fmt.Errorf("served (%q); want the connection refused", greeting)
			}
			return nil
		}
	}
	e.eventually("carol, whom the bundle's CA signed, served", 30*time.Second, servedAs(&carol, "carol"))
	e.eventually("no certificate refused", 5*time.Second, refused(nil))
	e.eventually("dave, whom another CA signed, refused", 5*time.Second, refused(&dave))

	b := &certificatesv1beta1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "client-roots"}}
	e.modify(b, func() { b.Spec.TrustBundle = string(rootsB.CertPEM) })
	e.eventually("the bundle replaced: dave served", 30*time.Second, servedAs(&dave, "dave"))
	e.eventually("the bundle replaced: carol refused", 5*time.Second, refused(&carol))
}
