package e2e

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// proxyV2AppProtocol is the Service port appProtocol that asks for a PROXY protocol v2 header.
const proxyV2AppProtocol = "haproxy-gateway.io/proxy-v2"

// TestProxyProtocol: a Service port whose appProtocol is haproxy-gateway.io/proxy-v2 gets a
// PROXY protocol v2 header before the stream, behind a Passthrough route (the client's own TLS
// follows it) and behind a Terminate route (plain TCP follows it). Both backends read the address
// the client connected from, the local address of the client's own connection: for Terminate it
// crossed the internal unix socket in the PROXY header the SNI frontend sends, so neither
// 127.0.0.1 nor the socket shows. A controller restarted beside the running HAProxy adopts it
// without a reload. The appProtocol switched off, the backends get no header; switched on again,
// they get it again; neither switch reloads.
func TestProxyProtocol(t *testing.T) {
	e := newEnv(t)
	passCert, err := testtls.New("pass.example.com")
	if err != nil {
		t.Fatal(err)
	}
	passTLS, _ := passCert.TLSCertificate()
	for _, b := range []struct {
		name, addr string
		cert       *tls.Certificate
	}{{"proxied-tls", "10.244.0.60:9443", &passTLS}, {"proxied-tcp", "10.244.0.60:9080", nil}} {
		backend, err := echo.ListenProxied(b.name, b.addr, b.cert)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(backend.Close)
	}

	// Terminate on 8443 for term.example.com, to the Service's port 80; Passthrough on 443 for
	// pass.example.com, to its port 443. Both Service ports ask for the header.
	objects := terminateGateway(t, "proxied", "term.example.com", "proxied-svc", 80, nil)
	passthrough, passHost := gatewayv1.TLSModePassthrough, gatewayv1.Hostname("pass.example.com")
	for _, o := range objects {
		if gw, ok := o.(*gatewayv1.Gateway); ok {
			gw.Spec.Listeners = append(gw.Spec.Listeners, gatewayv1.Listener{Name: "passthrough", Protocol: gatewayv1.TLSProtocolType,
				Port: 443, Hostname: &passHost, TLS: &gatewayv1.ListenerTLSConfig{Mode: &passthrough}})
		}
	}
	svc := service("default", "proxied-svc", 80, "tcp")
	svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "tls", Port: 443})
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].AppProtocol = ptrTo(proxyV2AppProtocol)
	}
	slice := endpointSlice("default", "proxied-svc", "tcp", 9080, "10.244.0.60")
	slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: ptrTo("tls"), Port: ptrTo(int32(9443))})
	e.create(objects...)
	e.create(svc, slice, &gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "proxied-passthrough"), Spec: gatewayv1.TLSRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
			Name: "proxied-gateway", SectionName: ptrTo(gatewayv1.SectionName("passthrough"))}}},
		Hostnames: []gatewayv1.Hostname{passHost},
		Rules:     []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{backendRef("proxied-svc", 443)}}},
	}})

	// The second controller runs on the first one's directories, to adopt its HAProxy.
	dirs := []string{"-address-pool", gatewayPool, "-haproxy-dir", t.TempDir(), "-haproxy-run-dir", shortTempDir(t),
		"-stats-address=127.0.0.1:" + freeport.String(t), "-metrics-address=127.0.0.1:" + freeport.String(t)}
	first := e.runController(e.cluster.Kubeconfig, dirs...)
	address := e.gatewayAddress("proxied-gateway")
	passAddr, termAddr := address+":443", address+":8443"

	// answers checks what a backend greets a connection through the gateway with: whether TLS
	// reached it, and the source address of the PROXY header, which must be the client's own.
	answers := func(addr, sni, backend string, backendTLS, header bool) func() error {
		return func() error {
			a, err := probe.TLS(addr, sni)
			if err != nil {
				return err
			}
			source, backendSNI := echo.NoProxyHeader, ""
			if header {
				source = a.Local
			}
			if backendTLS {
				backendSNI = sni
			}
			if want := echo.ProxiedGreeting(backend, backendTLS, backendSNI, source); a.Greeting != want {
				return fmt.Errorf("answered %q, want %q", a.Greeting, want)
			}
			t.Logf("%s from %s: %s", sni, a.Local, a.Greeting)
			return nil
		}
	}
	headers := func(what string, header bool) {
		t.Helper()
		e.eventually(what+": pass.example.com through Passthrough", 20*time.Second, answers(passAddr, "pass.example.com", "proxied-tls", true, header))
		e.eventually(what+": term.example.com through Terminate", 20*time.Second, answers(termAddr, "term.example.com", "proxied-tcp", false, header))
	}
	headers("the client's address in a PROXY header", true)
	worker := e.workerPID()

	// Restarted, the controller finds the servers with send-proxy-v2 running as it saved them.
	time.Sleep(500 * time.Millisecond) // the state file follows a change within 250 ms
	if err := first.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Cmd.Wait()
	second := e.runController(e.cluster.Kubeconfig, dirs...)
	e.eventually("the restarted controller adopted HAProxy without a reload", 20*time.Second, func() error {
		if logs := second.logs.String(); !strings.Contains(logs, "adopted the running HAProxy master") || !strings.Contains(logs, "no reload needed") {
			return fmt.Errorf("no adoption without a reload logged yet")
		}
		return nil
	})
	headers("after the controller's restart", true)

	setAppProtocol := func(value *string) {
		t.Helper()
		s := &corev1.Service{ObjectMeta: objectMeta("default", "proxied-svc")}
		e.modify(s, func() {
			for i := range s.Spec.Ports {
				s.Spec.Ports[i].AppProtocol = value
			}
		})
	}
	setAppProtocol(nil)
	headers("appProtocol removed: no header", false)
	setAppProtocol(ptrTo(proxyV2AppProtocol))
	headers("appProtocol back: the header again", true)
	if now := e.workerPID(); now != worker {
		t.Errorf("HAProxy worker %d became %d: the restart or an appProtocol switch reloaded", worker, now)
	}
}
