package haproxy

import (
	"fmt"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// FuzzHTTPRoute puts strings into an HTTPRoute (namespace, name, hostname, and one match: a path,
// exact or prefix, a method, and a header name and value, with up to 15 more header matches on the
// same value) and its backendRef (Service name, port, weight), on a Gateway with an HTTP listener
// and an HTTPS listener for every name. The route is refused with a condition, or the
// configuration passes "haproxy -c" and routes the route's hostname to its rule.
//
// Every eighth accepted input is applied to a running HAProxy (a reload or map entries and a spare,
// which costs more than the rest of an input), then gets one more endpoint, which must take
// runtime commands alone and read back as wanted.
func FuzzHTTPRoute(f *testing.F) {
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, namespace, name, hostname, service string, port, weight int32,
		path string, exact bool, method, headerName, headerValue string, headers uint8) {
		in := httpRouteInput{namespace, name, hostname, service, port, weight, path, exact, method, headerName, headerValue, 1 + int(headers%16)}
		full := translate.Build(in.snapshot(t, "127.0.0.1"), fuzzOptions)
		cfg := r.check(t, full.DataPlane)
		id := model.BackendID{Kind: "HTTPRoute", Namespace: namespace, Name: name}
		if !routeAccepted(t, full, id.Kind, namespace, name) {
			return
		}
		rule := ruleID(model.HTTPRule{Backend: id})
		if !mapEntry(cfg, rule, "b="+percentEncode(backendName(id))) || !mapValueLists(cfg, rule) || !mapEntry(cfg, mapKey(hostname), "http@") {
			t.Fatal("the route is accepted, but its hostname does not lead to its rule")
		}
		if r.inputs++; r.inputs%8 != 1 {
			return
		}
		r.apply(t, "route added", full.DataPlane)
		more := translate.Build(in.snapshot(t, "127.0.0.1", "127.0.0.2"), fuzzOptions).DataPlane
		r.check(t, more)
		r.applyRuntime(t, "endpoint added", more)
	})
}

type httpRouteInput struct {
	namespace, name, hostname, service string
	port, weight                       int32
	path                               string
	exact                              bool
	method, headerName, headerValue    string
	headers                            int
}

// snapshot is the Gateway with the route and its Service, with endpoints at addresses.
func (in httpRouteInput) snapshot(t *testing.T, addresses ...string) *snapshot.Snapshot {
	tlsPort, httpPort := listenerPorts(t)
	gw := gatewayOf(fuzzNamespace, fuzzGateway,
		listenerOf("http", "", gatewayv1.HTTPProtocolType, httpPort),
		withTLS(listenerOf("https", "", gatewayv1.HTTPSProtocolType, tlsPort), gatewayv1.TLSModeTerminate, fuzzNamespace, fuzzSecret))
	s := newSnapshot(gw)
	addSecret(t, s, fuzzNamespace, fuzzSecret, fuzzNamespace)
	match := gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(in.path)}}
	if in.exact {
		match.Path.Type = ptr.To(gatewayv1.PathMatchExact)
	}
	if in.method != "" {
		match.Method = ptr.To(gatewayv1.HTTPMethod(in.method))
	}
	for i := range in.headers {
		header := gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(in.headerName), Value: in.headerValue}
		if i > 0 {
			header.Name = gatewayv1.HTTPHeaderName(fmt.Sprintf("x-h%d", i))
		}
		match.Headers = append(match.Headers, header)
	}
	s.HTTPRoutes = append(s.HTTPRoutes, httpRouteOf(&gw, in.namespace, in.name, in.hostname, match, backendRefOf(in.service, in.port, in.weight)))
	addService(s, in.namespace, in.service, in.port, addresses...)
	s.Sort()
	return s
}
