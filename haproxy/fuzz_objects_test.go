package haproxy

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The Gateway API objects the fuzz targets (fuzz_*_test.go) build around the strings they are
// given. Each string goes into the field a user would write it in. Cross-namespace references come
// with the ReferenceGrant that allows them and routes name their Gateway's namespace, so a string
// is refused only for what it is, never for a missing grant or a parentRef that misses.

// fuzzNamespace and fuzzGateway name the fixed objects around the fuzzed ones.
const (
	fuzzNamespace = "fuzz"
	fuzzGateway   = "gw"
	fuzzSecret    = "cert"
)

// fuzzOptions bind every Gateway on 127.0.0.1 (its spec.addresses): the HAProxy of the runtime
// round trips listens there, and test traffic stays on loopback.
var fuzzOptions = translate.Options{ControllerName: "haproxy-gateway.io/gatewayclass-controller", AddressPool: netip.MustParsePrefix("127.0.0.0/8")}

// fuzzPorts are the TLS and HTTP ports of every fuzzed Gateway, free on 127.0.0.1 when the process
// first asked, so the same objects serve "haproxy -c" and the running HAProxy.
var fuzzPorts struct {
	once      sync.Once
	tls, http int32
}

func listenerPorts(t *testing.T) (tls, http int32) {
	fuzzPorts.once.Do(func() { fuzzPorts.tls, fuzzPorts.http = atoi32(freeport.String(t)), atoi32(freeport.String(t)) })
	return fuzzPorts.tls, fuzzPorts.http
}

// fuzzCertificate is one certificate for every Secret of the process: making a key per input
// would cost more than the rest of the input.
var fuzzCertificate = sync.OnceValues(func() (testtls.Pair, error) { return testtls.New("fuzz.test") })

func newSnapshot(gateway gatewayv1.Gateway) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		GatewayClasses: []gatewayv1.GatewayClass{{
			ObjectMeta: metav1.ObjectMeta{Name: "haproxy", Generation: 1},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: gatewayv1.GatewayController(fuzzOptions.ControllerName)},
		}},
		Gateways: []gatewayv1.Gateway{gateway},
	}
}

func meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, Generation: 1, CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0))}
}

func gatewayOf(namespace, name string, listeners ...gatewayv1.Listener) gatewayv1.Gateway {
	return gatewayv1.Gateway{
		ObjectMeta: meta(namespace, name),
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "haproxy",
			Addresses:        []gatewayv1.GatewaySpecAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: "127.0.0.1"}},
			Listeners:        listeners,
		},
	}
}

// listenerOf takes routes from every namespace; an empty hostname is none (every name).
func listenerOf(name, hostname string, protocol gatewayv1.ProtocolType, port int32) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: protocol, Port: gatewayv1.PortNumber(port),
		AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr.To(gatewayv1.NamespacesFromAll)}}}
	if hostname != "" {
		l.Hostname = ptr.To(gatewayv1.Hostname(hostname))
	}
	return l
}

// withTLS gives a TLS or HTTPS listener its mode and certificate Secret (namespace and name).
func withTLS(l gatewayv1.Listener, mode gatewayv1.TLSModeType, secret ...string) gatewayv1.Listener {
	l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr.To(mode)}
	if len(secret) == 2 {
		l.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{{Namespace: ptr.To(gatewayv1.Namespace(secret[0])), Name: gatewayv1.ObjectName(secret[1])}}
	}
	return l
}

// addSecret adds a valid kubernetes.io/tls Secret, and the ReferenceGrant that lets Gateways of
// gatewayNamespace use it.
func addSecret(t *testing.T, s *snapshot.Snapshot, namespace, name, gatewayNamespace string) {
	pair, err := fuzzCertificate()
	if err != nil {
		t.Fatal(err)
	}
	s.Secrets = append(s.Secrets, corev1.Secret{ObjectMeta: meta(namespace, name), Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}})
	s.ReferenceGrants = append(s.ReferenceGrants, gatewayv1.ReferenceGrant{
		ObjectMeta: meta(namespace, "gateways"),
		Spec: gatewayv1.ReferenceGrantSpec{
			From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "Gateway", Namespace: gatewayv1.Namespace(gatewayNamespace)}},
			To:   []gatewayv1.ReferenceGrantTo{{Kind: "Secret", Name: ptr.To(gatewayv1.ObjectName(name))}},
		},
	})
}

// addService adds a Service whose port is also its pods' port, with one ready endpoint per address.
func addService(s *snapshot.Snapshot, namespace, name string, port int32, addresses ...string) {
	s.Services = append(s.Services, corev1.Service{ObjectMeta: meta(namespace, name),
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port}}}})
	slice := discoveryv1.EndpointSlice{ObjectMeta: meta(namespace, name+"-1"), AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{Port: ptr.To(port)}}}
	slice.Labels = map[string]string{discoveryv1.LabelServiceName: name}
	for _, a := range addresses {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
	}
	s.EndpointSlices = append(s.EndpointSlices, slice)
}

func backendRefOf(service string, port, weight int32) gatewayv1.BackendRef {
	return gatewayv1.BackendRef{Weight: ptr.To(weight),
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service), Port: ptr.To(gatewayv1.PortNumber(port))}}
}

// routeSpec attaches a route to the Gateway, naming its namespace; an empty hostname is none.
func routeSpec(gateway *gatewayv1.Gateway, hostname string) (gatewayv1.CommonRouteSpec, []gatewayv1.Hostname) {
	common := gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
		Namespace: ptr.To(gatewayv1.Namespace(gateway.Namespace)), Name: gatewayv1.ObjectName(gateway.Name)}}}
	if hostname == "" {
		return common, nil
	}
	return common, []gatewayv1.Hostname{gatewayv1.Hostname(hostname)}
}

func tlsRouteOf(gateway *gatewayv1.Gateway, namespace, name, hostname string, backend gatewayv1.BackendRef) *gatewayv1.TLSRoute {
	common, hostnames := routeSpec(gateway, hostname)
	return &gatewayv1.TLSRoute{ObjectMeta: meta(namespace, name), Spec: gatewayv1.TLSRouteSpec{CommonRouteSpec: common, Hostnames: hostnames,
		Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{backend}}}}}
}

func httpRouteOf(gateway *gatewayv1.Gateway, namespace, name, hostname string, match gatewayv1.HTTPRouteMatch, backend gatewayv1.BackendRef) *gatewayv1.HTTPRoute {
	common, hostnames := routeSpec(gateway, hostname)
	return &gatewayv1.HTTPRoute{ObjectMeta: meta(namespace, name), Spec: gatewayv1.HTTPRouteSpec{CommonRouteSpec: common, Hostnames: hostnames,
		Rules: []gatewayv1.HTTPRouteRule{{Matches: []gatewayv1.HTTPRouteMatch{match},
			BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: backend}}}}}}
}
