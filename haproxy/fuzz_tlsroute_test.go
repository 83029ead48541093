package haproxy

import (
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// FuzzTLSRoute puts strings into a TLSRoute (namespace, name, hostname) and its backendRef
// (Service name, port, weight), on a Gateway whose TLS port has a Passthrough listener for every
// name and a Terminate listener for *.term.fuzz.test. The route is refused with a condition, or
// the configuration passes "haproxy -c" and names the route's backend in a map. Then the route is
// added to a running HAProxy that serves the Gateway without it, which must take runtime commands
// alone (a new route on a listener is never a reload) and read back as wanted, and removed again.
// Every fourth input that changes something also reloads with the route, so that an endpoint change then names the
// route's own backend rather than a spare.
func FuzzTLSRoute(f *testing.F) {
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, namespace, name, hostname, service string, port, weight int32) {
		in := tlsRouteInput{namespace, name, hostname, service, port, weight}
		full := translate.Build(in.snapshot(t, true, "127.0.0.1"), fuzzOptions)
		cfg := r.check(t, full.DataPlane)
		id := model.BackendID{Kind: "TLSRoute", Namespace: namespace, Name: name}
		if routeAccepted(t, full, id.Kind, namespace, name) && !mapEntry(cfg, "", backendName(id)) {
			t.Fatal("the route is accepted, but no map sends a name to its backend")
		}

		base := translate.Build(in.snapshot(t, false), fuzzOptions).DataPlane
		r.apply(t, "the Gateway without the route", base)
		if !r.applyRuntime(t, "route added", full.DataPlane) {
			return // the route was refused: nothing changed
		}
		if r.inputs++; r.inputs%4 == 1 {
			r.forceReload(t)
			moved := translate.Build(in.snapshot(t, true, "127.0.0.1", "127.0.0.2"), fuzzOptions).DataPlane
			r.check(t, moved)
			r.applyRuntime(t, "endpoint added after a reload", moved)
		}
		r.applyRuntime(t, "route removed", base)
	})
}

type tlsRouteInput struct {
	namespace, name, hostname, service string
	port, weight                       int32
}

// snapshot is the Gateway, with the route and its Service (endpoints at addresses) or without.
func (in tlsRouteInput) snapshot(t *testing.T, withRoute bool, addresses ...string) *snapshot.Snapshot {
	tlsPort, _ := listenerPorts(t)
	gw := gatewayOf(fuzzNamespace, fuzzGateway,
		withTLS(listenerOf("pass", "", gatewayv1.TLSProtocolType, tlsPort), gatewayv1.TLSModePassthrough),
		withTLS(listenerOf("term", "*.term.fuzz.test", gatewayv1.TLSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, fuzzNamespace, fuzzSecret))
	s := newSnapshot(gw)
	addSecret(t, s, fuzzNamespace, fuzzSecret, fuzzNamespace)
	if withRoute {
		s.TLSRoutes = append(s.TLSRoutes, tlsRouteOf(&gw, in.namespace, in.name, in.hostname, backendRefOf(in.service, in.port, in.weight)))
		addService(s, in.namespace, in.service, in.port, addresses...)
	}
	s.Sort()
	return s
}
