package haproxy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// FuzzListener puts strings into a Gateway (namespace, name), one of its listeners (name,
// hostname) and the certificate Secret it names (namespace, name). The Gateway has an HTTPS
// listener of that name and hostname, a TLS Terminate listener with the same Secret, an HTTP
// listener with that hostname and a Passthrough listener, with an HTTPRoute and a TLSRoute
// attached. Each listener is refused with a condition, or the configuration passes "haproxy -c"
// and its maps and crt-lists offer the listener's hostname with its certificate.
//
// Then the HTTPS listener is added to a running HAProxy that serves another Gateway on the same
// port, and removed again: host and server name maps, a certificate and a crt-list line, which
// must take runtime commands alone and read back as wanted. A listener that shares its hostname
// with another is refused (Conflicted), and one that names the other listener's Secret puts the
// same certificate file on two crt-list lines; either change may reload.
func FuzzListener(f *testing.F) {
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, gatewayNamespace, gatewayName, listenerName, hostname, secretNamespace, secretName string) {
		in := listenerInput{gatewayNamespace, gatewayName, listenerName, hostname, secretNamespace, secretName}
		m := translate.Build(in.snapshot(t), fuzzOptions)
		cfg := r.check(t, m.DataPlane)
		cert := filepath.Join(r.checkDir, "certs", certFileName(model.Certificate{Namespace: secretNamespace, Name: secretName}))
		filter := ""
		if hostname != "" {
			filter = " " + strings.ToLower(hostname)
		}
		if listenerProgrammed(t, m, gatewayNamespace, gatewayName, 1) &&
			(!mapEntry(cfg, mapKey(hostname), listenerName+"@") || !crtListLine(cfg, cert+filter)) {
			t.Fatal("the HTTPS listener is programmed, but its hostname does not lead to it with its certificate")
		}
		if listenerProgrammed(t, m, gatewayNamespace, gatewayName, 2) && !crtListLine(cfg, cert+" term.fuzz.test") {
			t.Fatal("the Terminate listener is programmed, but no crt-list offers its certificate")
		}
		if listenerProgrammed(t, m, gatewayNamespace, gatewayName, 3) && !mapEntry(cfg, mapKey(hostname), "http@") {
			t.Fatal("the HTTP listener is programmed, but its hostname does not lead to it")
		}

		base := translate.Build(in.running(t, false), fuzzOptions).DataPlane
		with := translate.Build(in.running(t, true), fuzzOptions)
		strict := listenerProgrammed(t, with, fuzzNamespace, fuzzGateway, 2) && (secretNamespace != fuzzNamespace || secretName != fuzzSecret)
		r.apply(t, "the Gateway without the listener", base)
		for _, step := range []struct {
			what string
			dp   model.DataPlane
		}{{"listener added", with.DataPlane}, {"listener removed", base}} {
			if res := r.apply(t, step.what, step.dp); strict && res.Plan.Reload {
				t.Fatalf("%s: reloaded (%s), want runtime commands only", step.what, res.Plan)
			}
		}
	})
}

type listenerInput struct {
	gatewayNamespace, gatewayName, listenerName, hostname, secretNamespace, secretName string
}

// snapshot is the fuzzed Gateway with its listeners, routes, Service and Secret.
func (in listenerInput) snapshot(t *testing.T) *snapshot.Snapshot {
	tlsPort, httpPort := listenerPorts(t)
	gw := gatewayOf(in.gatewayNamespace, in.gatewayName,
		withTLS(listenerOf("pass", "pass.fuzz.test", gatewayv1.TLSProtocolType, tlsPort), gatewayv1.TLSModePassthrough),
		withTLS(listenerOf(in.listenerName, in.hostname, gatewayv1.HTTPSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, in.secretNamespace, in.secretName),
		withTLS(listenerOf("term", "term.fuzz.test", gatewayv1.TLSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, in.secretNamespace, in.secretName),
		listenerOf("http", in.hostname, gatewayv1.HTTPProtocolType, httpPort))
	s := newSnapshot(gw)
	addSecret(t, s, in.secretNamespace, in.secretName, in.gatewayNamespace)
	addService(s, fuzzNamespace, "svc", 8080, "127.0.0.1")
	backend := backendRefOf("svc", 8080, 1)
	s.TLSRoutes = append(s.TLSRoutes, tlsRouteOf(&gw, fuzzNamespace, "tls", "", backend))
	s.HTTPRoutes = append(s.HTTPRoutes, httpRouteOf(&gw, fuzzNamespace, "web", "", gatewayv1.HTTPRouteMatch{}, backend))
	s.Sort()
	return s
}

// running is the Gateway of the running HAProxy: a Passthrough and an HTTPS listener, and with
// the fuzzed HTTPS listener on the same port, or without.
func (in listenerInput) running(t *testing.T, withListener bool) *snapshot.Snapshot {
	tlsPort, _ := listenerPorts(t)
	gw := gatewayOf(fuzzNamespace, fuzzGateway,
		withTLS(listenerOf("pass", "pass.fuzz.test", gatewayv1.TLSProtocolType, tlsPort), gatewayv1.TLSModePassthrough),
		withTLS(listenerOf("base", "base.fuzz.test", gatewayv1.HTTPSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, fuzzNamespace, fuzzSecret))
	if withListener {
		gw.Spec.Listeners = append(gw.Spec.Listeners,
			withTLS(listenerOf(in.listenerName, in.hostname, gatewayv1.HTTPSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, in.secretNamespace, in.secretName))
	}
	s := newSnapshot(gw)
	addSecret(t, s, fuzzNamespace, fuzzSecret, fuzzNamespace)
	if withListener {
		addSecret(t, s, in.secretNamespace, in.secretName, fuzzNamespace)
	}
	s.Sort()
	return s
}
