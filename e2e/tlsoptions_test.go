package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestListenerTLSOptions holds a Terminate listener to TLS 1.3 and ALPN h2 through tls.options:
// a TLS 1.2 client is refused, a TLS 1.3 one served with h2. Dropping the minimum serves TLS 1.2
// again without a reload. An unknown key makes the listener Accepted=False with the key named.
func TestListenerTLSOptions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	backend, err := echo.Listen("modern-1", "10.244.0.50:9080", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)
	e.create(terminateGateway(t, "modern", "modern.example.com", "modern-svc", 9080, map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{
		"haproxy-gateway.io/min-tls-version": "TLSv1.3",
		"haproxy-gateway.io/alpn":            "h2,http/1.1",
	})...)
	e.create(
		service("default", "modern-svc", 9080, "tcp"),
		endpointSlice("default", "modern-svc", "tcp", 9080, "10.244.0.50"),
	)
	e.startController()
	address := e.gatewayAddress("modern-gateway") + ":8443"

	e.eventually("TLS 1.3 served with ALPN h2", 30*time.Second, func() error {
		state, err := handshake(address, tls.VersionTLS13, "h2")
		if err != nil {
			return err
		}
		if state.Version != tls.VersionTLS13 || state.NegotiatedProtocol != "h2" {
			return fmt.Errorf("version %x, ALPN %q", state.Version, state.NegotiatedProtocol)
		}
		return nil
	})
	if _, err := handshake(address, tls.VersionTLS12, "h2"); err == nil {
		t.Fatal("a TLS 1.2 client was served; the listener's minimum is TLS 1.3")
	}
	worker := e.workerPID()

	setOptions := func(options map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue) {
		t.Helper()
		gw := &gatewayv1.Gateway{ObjectMeta: objectMeta("default", "modern-gateway")}
		e.modify(gw, func() { gw.Spec.Listeners[0].TLS.Options = options })
	}
	setOptions(map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{"haproxy-gateway.io/alpn": "http/1.1"})
	e.eventually("TLS 1.2 served once the minimum is dropped", 20*time.Second, func() error {
		state, err := handshake(address, tls.VersionTLS12, "h2", "http/1.1")
		if err != nil {
			return err
		}
		if state.NegotiatedProtocol != "http/1.1" {
			return fmt.Errorf("ALPN %q, want http/1.1", state.NegotiatedProtocol)
		}
		return nil
	})
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy worker %d became %d: a change of TLS options reloaded", worker, now)
	}

	setOptions(map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{"haproxy-gateway.io/min-version": "TLSv1.3"})
	e.eventually("an unknown option refuses the listener", 20*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "modern-gateway"}, &gw); err != nil {
			return err
		}
		if len(gw.Status.Listeners) != 1 {
			return fmt.Errorf("listeners %v", gw.Status.Listeners)
		}
		return conditionIs(gw.Status.Listeners[0].Conditions, gw.Generation, string(gatewayv1.ListenerConditionAccepted),
			metav1.ConditionFalse, string(gatewayv1.ListenerReasonUnsupportedValue), "haproxy-gateway.io/min-version")
	})
}

// handshake completes a TLS handshake with modern.example.com through address, offering protocol
// versions up to maxVersion and the ALPN protocols, and reads the backend's greeting.
func handshake(address string, maxVersion uint16, alpn ...string) (tls.ConnectionState, error) {
	state, _, err := greeted(address, &tls.Config{ServerName: "modern.example.com", InsecureSkipVerify: true,
		MinVersion: tls.VersionTLS12, MaxVersion: maxVersion, NextProtos: alpn})
	return state, err
}

// greeted connects through address with config and reads the backend's greeting line, which it
// returns with the client's own address in it: with TLS 1.3 a refused client certificate shows
// only there, after the handshake.
func greeted(address string, config *tls.Config) (tls.ConnectionState, string, error) {
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", address, config)
	if err != nil {
		return tls.ConnectionState{}, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return tls.ConnectionState{}, "", fmt.Errorf("no greeting from the backend: %w", err)
	}
	return conn.ConnectionState(), strings.ReplaceAll(strings.TrimSpace(line), conn.LocalAddr().String(), "<client>"), nil
}
