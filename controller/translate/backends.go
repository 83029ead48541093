package translate

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// maxServerWeight is the largest weight the data plane takes for one server.
const maxServerWeight = syntax.MaxWeight

// refProblem is why a backendRef cannot be used, with the route reason the spec names for it.
type refProblem struct {
	reason  gatewayv1.RouteConditionReason
	message string
}

// weightedEndpoints are the endpoints of one backendRef and the share it asked for.
type weightedEndpoints struct {
	service   string
	weight    int32
	tls       *model.BackendTLS
	proxy     model.ProxyProtocol
	http2     bool
	endpoints []endpoint
	// unresolved stands for backendRefs that could not be used: one server that answers 500.
	unresolved bool
}

type endpoint struct {
	address string
	port    int32
	// draining endpoints are terminating but still serve their open connections.
	draining bool
}

// backend builds the backend of one route rule. Invalid references are reported, and take no
// servers, so that their connections are refused.
func backend(id model.BackendID, refs []gatewayv1.BackendRef, in *index) (model.Backend, *refProblem) {
	var problem *refProblem
	b := model.Backend{ID: id}
	for _, ref := range refs {
		usable, p := resolveBackendRef(id, ref, in)
		if p != nil {
			if problem == nil {
				problem = p
			}
			continue
		}
		if policy := in.policies.forPort(usable.Namespace, usable.Name, usable.PortName); policy != nil {
			if policy.tls == nil {
				// The policy's status says why; its Service port takes no connections.
				continue
			}
			usable.TLS = policy.tls
		}
		b.Refs = append(b.Refs, usable)
	}
	b.Servers = BackendServers(&b, in.slicesByService)
	return b, problem
}

// BackendServers are the servers of a backend's Service ports, from the EndpointSlices of each
// Service ("namespace/name"), and the server answering 500 in place of the backendRefs that
// could not be used (UnresolvedWeight), which takes their share.
func BackendServers(b *model.Backend, slicesByService map[string][]*discoveryv1.EndpointSlice) []model.Server {
	groups := make([]weightedEndpoints, len(b.Refs), len(b.Refs)+1)
	for i, ref := range b.Refs {
		groups[i] = weightedEndpoints{service: ref.Name, weight: ref.Weight, tls: ref.TLS, proxy: ref.ProxyProtocol, http2: ref.HTTP2,
			endpoints: servingEndpoints(slicesByService[ref.Key()], ref.PortName)}
	}
	if b.UnresolvedWeight > 0 {
		groups = append(groups, weightedEndpoints{weight: b.UnresolvedWeight, unresolved: true, endpoints: []endpoint{{}}})
	}
	return servers(groups)
}

func resolveBackendRef(id model.BackendID, ref gatewayv1.BackendRef, in *index) (model.ServiceRef, *refProblem) {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	namespace := id.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	name := namespace + "/" + string(ref.Name)
	if err := syntax.ServiceName(string(ref.Name)); err != nil {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonBackendNotFound, "backendRef: " + err.Error()}
	}
	if group != "" || kind != "Service" {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonInvalidKind,
			fmt.Sprintf("backendRef %s: kind %s is not supported; supported: core Service", name, strings.TrimPrefix(group+"/"+kind, "/"))}
	}
	if !permitted(in.grants, reference{fromGroup: gatewayv1.GroupName, fromKind: id.Kind, fromNamespace: id.Namespace,
		toGroup: "", toKind: "Service", toNamespace: namespace, toName: string(ref.Name)}) {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonRefNotPermitted,
			fmt.Sprintf("backendRef %s is in another namespace and no ReferenceGrant allows it", name)}
	}
	svc, ok := in.services[name]
	if !ok {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s not found", name)}
	}
	if ref.Port == nil {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonBackendNotFound, fmt.Sprintf("backendRef %s has no port", name)}
	}
	servicePort := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == int32(*ref.Port) })
	if servicePort < 0 {
		return model.ServiceRef{}, &refProblem{gatewayv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s has no port %d", name, *ref.Port)}
	}
	weight := int32(1)
	if ref.Weight != nil {
		weight = *ref.Weight
	}
	port := svc.Spec.Ports[servicePort]
	return model.ServiceRef{Namespace: namespace, Name: string(ref.Name), PortName: port.Name, Weight: weight, ProxyProtocol: proxyProtocolOf(port),
		HTTP2: speaksHTTP2(id.Kind, port)}, nil
}

// speaksHTTP2 reports whether the proxy speaks HTTP/2 to the servers of a Service port a route of
// kind sends to: always for a GRPCRoute (gRPC is HTTP/2 only), for an HTTPRoute when the port's
// appProtocol asks for h2c.
func speaksHTTP2(kind string, port corev1.ServicePort) bool {
	switch kind {
	case kindGRPCRoute:
		return true
	case kindHTTPRoute:
		return port.AppProtocol != nil && *port.AppProtocol == AppProtocolH2C
	}
	return false
}

// servingEndpoints lists the addresses with the target port of the named Service port, sorted:
// ready ones, and every other endpoint still in the EndpointSlice, which drains: it gets no new
// connections but keeps the ones it has until it leaves the EndpointSlice. So a readiness blip or
// a terminating pod never resets open connections.
func servingEndpoints(endpointSlices []*discoveryv1.EndpointSlice, portName string) []endpoint {
	var out []endpoint
	for _, slice := range endpointSlices {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port := int32(-1)
		for _, p := range slice.Ports {
			if p.Port != nil && (p.Name == nil && portName == "" || p.Name != nil && *p.Name == portName) {
				port = *p.Port
			}
		}
		if port < 0 || syntax.Port(port) != nil {
			continue
		}
		for _, ep := range slice.Endpoints {
			// An unset ready condition means ready, as the EndpointSlice API defines.
			draining := !ptr.Deref(ep.Conditions.Ready, true)
			for _, addr := range ep.Addresses {
				// The API server checks addresses; files in standalone mode reach here unchecked.
				if ip, err := netip.ParseAddr(addr); err != nil || ip.Zone() != "" || ip.Is4() != (slice.AddressType == discoveryv1.AddressTypeIPv4) {
					continue
				}
				out = append(out, endpoint{address: addr, port: port, draining: draining})
			}
		}
	}
	slices.SortFunc(out, func(a, b endpoint) int {
		if c := strings.Compare(a.address, b.address); c != 0 {
			return c
		}
		if a.port != b.port {
			return int(a.port - b.port)
		}
		return boolOrder(a.draining, b.draining) // ready first: a ready copy wins
	})
	return slices.CompactFunc(out, func(a, b endpoint) bool { return a.address == b.address && a.port == b.port })
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// readyCount is how many endpoints take new connections.
func readyCount(endpoints []endpoint) int {
	n := 0
	for _, ep := range endpoints {
		if !ep.draining {
			n++
		}
	}
	return n
}

// servers spreads each backendRef's weight over its endpoints, so that a Service with more pods
// does not take a larger share than its weight says.
func servers(groups []weightedEndpoints) []model.Server {
	perServer := make([]float64, len(groups))
	largest := 0.0
	for i, g := range groups {
		if n := readyCount(g.endpoints); n > 0 {
			perServer[i] = float64(g.weight) / float64(n)
			largest = math.Max(largest, perServer[i])
		}
	}
	var out []model.Server
	// The same endpoint through ports with and without TLS, with and without a PROXY header, or
	// with HTTP/1 and HTTP/2, is two servers.
	type key struct {
		service, address string
		port             int32
		tls              *model.BackendTLS
		proxy            model.ProxyProtocol
		http2            bool
	}
	seen := map[key]bool{}
	for i, g := range groups {
		weight := int32(0)
		if largest > 0 && g.weight > 0 {
			weight = max(1, int32(math.Round(perServer[i]/largest*maxServerWeight)))
		}
		for _, ep := range g.endpoints {
			k := key{g.service, ep.address, ep.port, g.tls, g.proxy, g.http2}
			if seen[k] {
				continue
			}
			seen[k] = true
			server := model.Server{Service: g.service, Address: ep.address, Port: ep.port, Weight: weight, TLS: g.tls, ProxyProtocol: g.proxy, HTTP2: g.http2, Unresolved: g.unresolved}
			if ep.draining {
				server.Weight = 0
			}
			out = append(out, server)
		}
	}
	return out
}
