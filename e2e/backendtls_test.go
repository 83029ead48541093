package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// backendName is the name the re-encrypting gateway sends as SNI and verifies: the backend's
// certificate is for it, not for the name clients ask the gateway for.
const backendName = "backend.internal.example.com"

// TestBackendTLSPolicy re-encrypts a Terminate route to a TLS backend a BackendTLSPolicy selects:
// the backend sees the policy's hostname as SNI, and is verified against the ConfigMap's CA. A
// CA that did not sign the backend's certificate, or a hostname the certificate lacks, refuses
// the connection; the CA rotated back serves again; the policy detached and attached again
// switches between plain TCP and TLS; all without a reload. A policy whose ConfigMap is gone says
// so in its status, and its backend takes no connections.
func TestBackendTLSPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	backendCert, err := testtls.New(backendName)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := testtls.New("other-ca.example.com")
	if err != nil {
		t.Fatal(err)
	}
	address := e.reencrypting("secure-1", "10.244.0.40", backendCert,
		&corev1.ConfigMap{ObjectMeta: objectMeta("default", "backend-ca"), Data: map[string]string{"ca.crt": string(backendCert.CertPEM)}},
		verifiedPolicy("secure-backend", "secure-svc"))
	reencrypted, refused := answeredBy(address, "secure.example.com", "secure-1"), closedFor(address, "secure.example.com")
	e.eventually("secure.example.com re-encrypted to its backend", 30*time.Second, reencrypted)
	e.waitPolicy("secure-backend", "Accepted", metav1.ConditionTrue, string(gatewayv1.PolicyReasonAccepted))
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionTrue, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs))
	worker := e.workerPID()

	setCA := func(pem []byte) {
		t.Helper()
		var cm corev1.ConfigMap
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "backend-ca"}, &cm); err != nil {
			t.Fatal(err)
		}
		cm.Data["ca.crt"] = string(pem)
		if err := e.client.Update(ctx, &cm); err != nil {
			t.Fatal(err)
		}
	}
	setCA(otherCA.CertPEM)
	e.eventually("a backend the CA did not sign refused", 20*time.Second, refused)
	setCA(append(append([]byte{}, otherCA.CertPEM...), backendCert.CertPEM...))
	e.eventually("a bundle holding the backend's CA serves again", 20*time.Second, reencrypted)
	setCA(backendCert.CertPEM)

	setHostname := func(hostname gatewayv1.PreciseHostname) {
		t.Helper()
		// The controller writes the policy's status meanwhile: read again on a conflict.
		policy := &gatewayv1.BackendTLSPolicy{ObjectMeta: objectMeta("default", "secure-backend")}
		e.modify(policy, func() { policy.Spec.Validation.Hostname = hostname })
	}
	// The echo backend answers any server name: only the gateway's check can refuse it.
	setHostname("wrong.internal.example.com")
	e.eventually("a backend whose certificate lacks the policy's hostname refused", 20*time.Second, refused)
	setHostname(backendName)
	e.eventually("the policy's hostname restored serves again", 20*time.Second, reencrypted)
	// Detached, the backend is sent plain TCP, which its TLS handshake refuses; attached again,
	// it is verified again.
	if err := e.client.Delete(ctx, verifiedPolicy("secure-backend", "secure-svc")); err != nil {
		t.Fatal(err)
	}
	e.eventually("the policy detached: plain TCP, which the TLS backend refuses", 20*time.Second, refused)
	e.create(verifiedPolicy("secure-backend", "secure-svc"))
	e.eventually("the policy attached again: re-encrypted", 20*time.Second, reencrypted)
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy worker %d became %d: CA, hostname or policy changes reloaded", worker, now)
	}

	if err := e.client.Delete(ctx, &corev1.ConfigMap{ObjectMeta: objectMeta("default", "backend-ca")}); err != nil {
		t.Fatal(err)
	}
	e.waitPolicy("secure-backend", "ResolvedRefs", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonInvalidCACertificateRef))
	e.waitPolicy("secure-backend", "Accepted", metav1.ConditionFalse, string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate))
	e.eventually("a backend without a CA to verify it refused", 20*time.Second, refused)
}

// reencrypting serves a TLS echo backend named backend at ip:9443 with pair's certificate, creates
// Gateway secure-gateway terminating secure.example.com on 8443 with its route to port https of
// secure-svc (that backend), and objects (where its CA comes from, the BackendTLSPolicy); then it
// starts the controller and returns the listener's address.
func (e *env) reencrypting(backend, ip string, pair testtls.Pair, objects ...client.Object) string {
	e.t.Helper()
	cert, err := pair.TLSCertificate()
	if err != nil {
		e.t.Fatal(err)
	}
	server, err := echo.Listen(backend, ip+":9443", &cert)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(server.Close)
	e.create(terminateGateway(e.t, "secure", "secure.example.com", "secure-svc", 443, nil)...)
	e.create(append([]client.Object{service("default", "secure-svc", 443, "https"),
		endpointSlice("default", "secure-svc", "https", 9443, ip)}, objects...)...)
	e.startController()
	return e.gatewayAddress("secure-gateway") + ":8443"
}

// verifiedPolicy is a BackendTLSPolicy in "default" selecting port "https" of service, verified
// against the CA bundle of ConfigMap backend-ca and backendName.
func verifiedPolicy(name, service string) *gatewayv1.BackendTLSPolicy {
	section := gatewayv1.SectionName("https")
	return &gatewayv1.BackendTLSPolicy{ObjectMeta: objectMeta("default", name), Spec: gatewayv1.BackendTLSPolicySpec{
		TargetRefs: []gatewayv1.LocalPolicyTargetReferenceWithSectionName{{
			LocalPolicyTargetReference: gatewayv1.LocalPolicyTargetReference{Kind: "Service", Name: gatewayv1.ObjectName(service)}, SectionName: &section}},
		Validation: gatewayv1.BackendTLSPolicyValidation{
			CACertificateRefs: []gatewayv1.LocalObjectReference{{Kind: "ConfigMap", Name: "backend-ca"}},
			Hostname:          backendName,
		},
	}}
}

// answeredBy checks that hostname through address reaches the TLS echo backend named backend,
// re-encrypted with backendName as SNI.
func answeredBy(address, hostname, backend string) func() error {
	return func() error { return answersWithSNI(address, hostname, backend, backendName) }
}

// closedFor checks that a connection for hostname through address is closed unanswered.
func closedFor(address, hostname string) func() error {
	return func() error {
		if a, err := probe.TLS(address, hostname); err == nil {
			return fmt.Errorf("answered %q; want the connection closed", a.Greeting)
		}
		return nil
	}
}

// waitPolicy waits until the BackendTLSPolicy's ancestor entry for secure-gateway has the
// condition, for the policy's current generation, with each of words in its message.
func (e *env) waitPolicy(name, conditionType string, status metav1.ConditionStatus, reason string, words ...string) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("BackendTLSPolicy %s %s=%s (%s)", name, conditionType, status, reason), 20*time.Second, func() error {
		var p gatewayv1.BackendTLSPolicy
		if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &p); err != nil {
			return err
		}
		for _, a := range p.Status.Ancestors {
			if a.AncestorRef.Name != "secure-gateway" || string(a.ControllerName) != controllerName {
				continue
			}
			return conditionIs(a.Conditions, p.Generation, conditionType, status, reason, words...)
		}
		return fmt.Errorf("no ancestor entry for secure-gateway: %+v", p.Status.Ancestors)
	})
}
