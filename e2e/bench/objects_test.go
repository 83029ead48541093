package bench

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The benchmark's objects live in one namespace; one Gateway has a Passthrough listener on 443,
// Terminate listeners with an ECDSA P-256 and an RSA-2048 certificate on 8443 and 8444, and an HTTP
// listener on 80.
const (
	namespace   = "bench"
	gatewayName = "bench"
	// smallGatewayName is a second Gateway with few routes, served by the same HAProxy at the
	// same time, to compare connection set-up against the large one.
	smallGatewayName = "bench-small"
	className        = "haproxy-bench"
	controllerID     = "haproxy-gateway.io/gatewayclass-controller"

	// Backends inside the network namespace (10.244.0.0/16 is routed to its loopback).
	passthroughBackend = "10.244.1.1" // terminates TLS itself, port 9443
	plainBackend       = "10.244.1.3" // receives what the gateway decrypted, port 9080
	httpBackend        = "10.244.1.4" // answers HTTP requests, port 8080

	// tierLabel groups routes so each phase can delete down to the size it needs in one call.
	tierLabel = "bench.haproxy-gateway.io/tier"
)

func objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name}
}

func gatewayClass() *gatewayv1.GatewayClass { return gatewayClassOf(className, controllerID) }

// gatewayClassOf is GatewayClass name, served by the controller named controller.
func gatewayClassOf(name string, controller gatewayv1.GatewayController) *gatewayv1.GatewayClass {
	return &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: controller},
	}
}

// smallGateway has only the Passthrough and the HTTP listener.
func smallGateway() *gatewayv1.Gateway {
	return gatewayOf(smallGatewayName, className, "passthrough", httpListener)
}

// gatewayOf is gateway() named name, of GatewayClass class, with only the listeners named.
func gatewayOf(name string, class gatewayv1.ObjectName, listeners ...gatewayv1.SectionName) *gatewayv1.Gateway {
	g := gateway()
	g.Name, g.Spec.GatewayClassName = name, class
	g.Spec.Listeners = slices.DeleteFunc(g.Spec.Listeners, func(l gatewayv1.Listener) bool { return !slices.Contains(listeners, l.Name) })
	return g
}

func gateway() *gatewayv1.Gateway {
	terminate := gatewayv1.TLSModeTerminate
	passthrough := gatewayv1.TLSModePassthrough
	listener := func(name string, port gatewayv1.PortNumber, hostname string, mode *gatewayv1.TLSModeType, secret string) gatewayv1.Listener {
		l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Port: port, Protocol: gatewayv1.TLSProtocolType,
			TLS: &gatewayv1.ListenerTLSConfig{Mode: mode}}
		if hostname != "" {
			h := gatewayv1.Hostname(hostname)
			l.Hostname = &h
		}
		if secret != "" {
			l.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(secret)}}
		}
		return l
	}
	return &gatewayv1.Gateway{
		ObjectMeta: objectMeta(gatewayName),
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: className,
			Listeners: []gatewayv1.Listener{
				listener("passthrough", 443, "", &passthrough, ""),
				listener("terminate-ecdsa", 8443, "ecdsa.bench.test", &terminate, "ecdsa-certificate"),
				listener("terminate-rsa", 8444, "rsa.bench.test", &terminate, "rsa-certificate"),
				{Name: httpListener, Port: 80, Protocol: gatewayv1.HTTPProtocolType},
			},
		},
	}
}

func tlsSecret(name string, certPEM, keyPEM []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: objectMeta(name),
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
	}
}

// service has no selector, so the control plane's EndpointSlice controller leaves it alone and
// the benchmark writes its EndpointSlice.
func service(name, portName string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: objectMeta(name),
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: portName, Port: port}}},
	}
}

func endpointSlice(serviceName, portName string, port int32, addresses ...string) *discoveryv1.EndpointSlice {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  objectMeta(serviceName + "-bench"),
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
	}
	slice.Labels = map[string]string{discoveryv1.LabelServiceName: serviceName}
	ready := true
	for _, a := range addresses {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	return slice
}

// tlsRoute routes hostname on one listener of the Gateway to a Service port.
func tlsRoute(name, tier, listener, hostname, serviceName string, port int32) *gatewayv1.TLSRoute {
	return tlsRouteOn(gatewayName, name, tier, listener, hostname, serviceName, port)
}

// tlsRouteOn is tlsRoute on the Gateway named gw.
func tlsRouteOn(gw, name, tier, listener, hostname, serviceName string, port int32) *gatewayv1.TLSRoute {
	section := gatewayv1.SectionName(listener)
	p := gatewayv1.PortNumber(port)
	r := &gatewayv1.TLSRoute{
		ObjectMeta: objectMeta(name),
		Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(gw), SectionName: &section}}},
			Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(hostname)},
			Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
				BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(serviceName), Port: &p},
			}}}},
		},
	}
	r.Labels = map[string]string{tierLabel: tier}
	return r
}

// passthroughRoute is route number i of a tier, reaching the Passthrough backend.
func passthroughRoute(prefix string, i int, tier string) *gatewayv1.TLSRoute {
	name := fmt.Sprintf("%s-%05d", prefix, i)
	return tlsRoute(name, tier, "passthrough", hostnameOf(name), "passthrough", 9443)
}

func hostnameOf(routeName string) string { return routeName + ".bench.test" }

// HTTPRoutes: one hostname and one rule each, PathPrefix appPrefix, to the HTTP backend. Each
// Gateway also has one route whose PathPrefix is deepPrefix: the routes map of a listener's socket
// is then walked from requestPath's full length down to appPrefix (the exact path, then
// /app/items/42, /app/items and /app), as a Gateway whose routes split paths finely would be.
const (
	httpListener = "http"
	appPrefix    = "/app"
	deepPrefix   = "/app/v2/deep/path"
	requestPath  = "/app/items/42"
)

// httpRouteOn routes hostname on the HTTP listener of Gateway gw: requests whose path starts
// with prefix go to the HTTP backend.
func httpRouteOn(gw, name, tier, hostname, prefix string) *gatewayv1.HTTPRoute {
	section := gatewayv1.SectionName(httpListener)
	port := gatewayv1.PortNumber(8080)
	pathType := gatewayv1.PathMatchPathPrefix
	r := &gatewayv1.HTTPRoute{
		ObjectMeta: objectMeta(name),
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(gw), SectionName: &section}}},
			Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(hostname)},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: &pathType, Value: &prefix}}},
				BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: "http", Port: &port},
				}}},
			}},
		},
	}
	r.Labels = map[string]string{tierLabel: tier}
	return r
}

// httpRoute is HTTPRoute number i of a tier on the large Gateway, PathPrefix appPrefix.
func httpRoute(prefix string, i int, tier string) *gatewayv1.HTTPRoute {
	name := fmt.Sprintf("%s-%05d", prefix, i)
	return httpRouteOn(gatewayName, name, tier, httpHostnameOf(name), appPrefix)
}

func httpHostnameOf(routeName string) string { return routeName + ".bench.example.com" }
