package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const (
	kindTLSRoute  = "TLSRoute"
	kindHTTPRoute = "HTTPRoute"
	kindGRPCRoute = "GRPCRoute"
)

// routeKindsByProtocol lists the route kinds each supported listener protocol takes. GRPCRoutes
// need HTTP/2 from clients without an upgrade: HTTPS listeners offer it through ALPN, and plain
// HTTP listeners take HTTP/2 with prior knowledge (h2c) beside HTTP/1, telling them apart by the
// connection preface.
var routeKindsByProtocol = map[gatewayv1.ProtocolType][]string{
	gatewayv1.TLSProtocolType:   {kindTLSRoute},
	gatewayv1.HTTPProtocolType:  {kindHTTPRoute, kindGRPCRoute},
	gatewayv1.HTTPSProtocolType: {kindHTTPRoute, kindGRPCRoute},
}

// socketProtocol is what a listener's socket reads first. TLS and HTTPS listeners both start
// with a ClientHello, so they may share a port; the server name tells them apart.
func socketProtocol(p gatewayv1.ProtocolType) model.SocketProtocol {
	if p == gatewayv1.HTTPProtocolType {
		return model.SocketHTTP
	}
	return model.SocketTLS
}

// listener is one Gateway listener while the build works on it.
type listener struct {
	gateway  *gatewayv1.Gateway
	spec     *gatewayv1.Listener
	kinds    []gatewayv1.RouteGroupKind
	accepted bool
	// resolved is false when a certificate could not be used. Unsupported route kinds are
	// reported in the same condition but leave the supported ones served.
	resolved   bool
	conflicted bool
	// conditions by type, filled in validation order; the first problem of each type stands.
	accept, resolve, conflict metav1.Condition
	certificates              []model.Certificate
	// tlsOptions are what its tls.options and the Gateway's spec.tls.frontend set, for the
	// certificates it serves; clientCAs is the bundle client certificates are verified against.
	tlsOptions model.TLSOptions
	clientCAs  []byte
	attached   int32
}

// served reports whether the listener gets a socket in the data plane: it must be valid and take
// at least one route kind.
func (l *listener) served() bool {
	return l.accepted && l.resolved && !l.conflicted && len(l.kinds) > 0
}

func (l *listener) mode() gatewayv1.TLSModeType {
	if l.spec.Protocol == gatewayv1.HTTPProtocolType {
		return ""
	}
	if l.spec.TLS == nil || l.spec.TLS.Mode == nil {
		return gatewayv1.TLSModeTerminate
	}
	return *l.spec.TLS.Mode
}

func (l *listener) allowsKind(kind string) bool {
	for _, k := range l.kinds {
		if string(k.Kind) == kind {
			return true
		}
	}
	return false
}

// validateListeners checks every listener of a Gateway on its own, then for conflicts between them.
func validateListeners(gw *gatewayv1.Gateway, in *index) []*listener {
	gen := gw.Generation
	var out []*listener
	for i := range gw.Spec.Listeners {
		l := &listener{gateway: gw, spec: &gw.Spec.Listeners[i], accepted: true, resolved: true}
		l.accept = condition(string(gatewayv1.ListenerConditionAccepted), true, string(gatewayv1.ListenerReasonAccepted), "Listener is accepted", gen)
		l.resolve = condition(string(gatewayv1.ListenerConditionResolvedRefs), true, string(gatewayv1.ListenerReasonResolvedRefs), "All references are resolved", gen)
		l.conflict = condition(string(gatewayv1.ListenerConditionConflicted), false, string(gatewayv1.ListenerReasonNoConflicts), "No conflicts", gen)

		supported, ok := routeKindsByProtocol[l.spec.Protocol]
		problem := objectProblem(gw.Namespace, gw.Name)
		if problem != "" {
			problem = "Gateway " + problem
		} else if problem = listenerProblem(l.spec); problem == "" {
			l.tlsOptions, problem = listenerTLSOptions(l.spec, l.mode())
		}
		switch {
		case problem != "":
			l.accepted = false
			l.accept = condition(string(gatewayv1.ListenerConditionAccepted), false, string(gatewayv1.ListenerReasonUnsupportedValue), problem, gen)
		case !ok:
			l.accepted = false
			l.accept = condition(string(gatewayv1.ListenerConditionAccepted), false, string(gatewayv1.ListenerReasonUnsupportedProtocol),
				fmt.Sprintf("protocol %s is not supported; supported: HTTP, HTTPS, TLS", l.spec.Protocol), gen)
		default:
			l.kinds, l.resolve = routeKinds(l.spec, supported, gen)
		}
		if l.accepted && l.mode() == gatewayv1.TLSModeTerminate {
			resolveClientValidation(l, in)
			resolveCertificates(l, in)
		}
		out = append(out, l)
	}
	markConflicts(out)
	return out
}

// routeKinds returns the kinds a listener will take: those it asks for that its protocol supports,
// or all its protocol supports when it asks for none. Kinds it asks for that are not supported
// make ResolvedRefs False (InvalidRouteKinds) while the supported ones are still served, as the
// spec asks.
func routeKinds(spec *gatewayv1.Listener, supported []string, gen int64) ([]gatewayv1.RouteGroupKind, metav1.Condition) {
	ok := condition(string(gatewayv1.ListenerConditionResolvedRefs), true, string(gatewayv1.ListenerReasonResolvedRefs), "All references are resolved", gen)
	group := gatewayv1.Group(gatewayv1.GroupName)
	if spec.AllowedRoutes == nil || len(spec.AllowedRoutes.Kinds) == 0 {
		var kinds []gatewayv1.RouteGroupKind
		for _, k := range supported {
			kinds = append(kinds, gatewayv1.RouteGroupKind{Group: &group, Kind: gatewayv1.Kind(k)})
		}
		return kinds, ok
	}
	var kinds []gatewayv1.RouteGroupKind
	var unsupported []string
	for _, k := range spec.AllowedRoutes.Kinds {
		g := gatewayv1.GroupName
		if k.Group != nil {
			g = string(*k.Group)
		}
		if g == gatewayv1.GroupName && slices.Contains(supported, string(k.Kind)) {
			kinds = append(kinds, gatewayv1.RouteGroupKind{Group: &group, Kind: k.Kind})
			continue
		}
		unsupported = append(unsupported, g+"/"+string(k.Kind))
	}
	if len(unsupported) > 0 {
		return kinds, condition(string(gatewayv1.ListenerConditionResolvedRefs), false, string(gatewayv1.ListenerReasonInvalidRouteKinds),
			fmt.Sprintf("route kinds not supported on protocol %s: %s", spec.Protocol, strings.Join(unsupported, ", ")), gen)
	}
	return kinds, ok
}

// resolveCertificates loads every certificateRef of a Terminate listener. One bad reference makes
// the listener unresolved: serving with only some of its certificates would answer some names
// with the wrong one.
func resolveCertificates(l *listener, in *index) {
	gen := l.gateway.Generation
	fail := func(reason gatewayv1.ListenerConditionReason, msg string) {
		if l.resolve.Status == metav1.ConditionTrue {
			l.resolve = condition(string(gatewayv1.ListenerConditionResolvedRefs), false, string(reason), msg, gen)
		}
		l.resolved = false
	}
	if l.spec.TLS == nil || len(l.spec.TLS.CertificateRefs) == 0 {
		fail(gatewayv1.ListenerReasonInvalidCertificateRef, "a Terminate listener needs at least one certificateRef")
		return
	}
	var filter []string
	if l.spec.Hostname != nil && *l.spec.Hostname != "" {
		filter = []string{strings.ToLower(string(*l.spec.Hostname))}
	}
	for _, ref := range l.spec.TLS.CertificateRefs {
		namespace := l.gateway.Namespace
		if ref.Namespace != nil && *ref.Namespace != "" {
			namespace = string(*ref.Namespace)
		}
		name := namespace + "/" + string(ref.Name)
		if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
			fail(gatewayv1.ListenerReasonInvalidCertificateRef, fmt.Sprintf("certificateRef %s: only core Secrets are supported", name))
			continue
		}
		if problem := objectProblem(namespace, string(ref.Name)); problem != "" {
			fail(gatewayv1.ListenerReasonInvalidCertificateRef, "certificateRef "+problem)
			continue
		}
		if !permitted(in.grants, reference{fromGroup: gatewayv1.GroupName, fromKind: "Gateway", fromNamespace: l.gateway.Namespace,
			toGroup: "", toKind: "Secret", toNamespace: namespace, toName: string(ref.Name)}) {
			fail(gatewayv1.ListenerReasonRefNotPermitted, fmt.Sprintf("certificateRef %s is in another namespace and no ReferenceGrant allows it", name))
			continue
		}
		cert, err := in.certificate(namespace, string(ref.Name))
		if err != nil {
			fail(gatewayv1.ListenerReasonInvalidCertificateRef, fmt.Sprintf("certificateRef %s: %v", name, err))
			continue
		}
		cert.SNIFilter, cert.Options, cert.ClientCACertificates = filter, l.tlsOptions, l.clientCAs
		l.certificates = append(l.certificates, cert)
	}
}

// markConflicts flags listeners sharing a port with a protocol that reads differently (plain HTTP
// and TLS), or with the same hostname. Passthrough, Terminate and HTTPS may share a port: SNI
// tells them apart.
func markConflicts(listeners []*listener) {
	for i, a := range listeners {
		for j, b := range listeners {
			if i == j || !a.accepted || !b.accepted || a.spec.Port != b.spec.Port {
				continue
			}
			gen := a.gateway.Generation
			switch {
			case socketProtocol(a.spec.Protocol) != socketProtocol(b.spec.Protocol):
				a.conflicted = true
				a.conflict = condition(string(gatewayv1.ListenerConditionConflicted), true, string(gatewayv1.ListenerReasonProtocolConflict),
					fmt.Sprintf("listener %s uses port %d with protocol %s", b.spec.Name, b.spec.Port, b.spec.Protocol), gen)
			case hostnameOf(a.spec) == hostnameOf(b.spec):
				a.conflicted = true
				a.conflict = condition(string(gatewayv1.ListenerConditionConflicted), true, string(gatewayv1.ListenerReasonHostnameConflict),
					fmt.Sprintf("listener %s uses the same port %d and hostname", b.spec.Name, b.spec.Port), gen)
			}
		}
	}
}

func hostnameOf(l *gatewayv1.Listener) string {
	if l.Hostname == nil {
		return ""
	}
	return strings.ToLower(string(*l.Hostname))
}

// allowsNamespace applies allowedRoutes.namespaces (default: the Gateway's own namespace).
func (l *listener) allowsNamespace(namespace string, in *index) bool {
	from := gatewayv1.NamespacesFromSame
	var selector *metav1.LabelSelector
	if l.spec.AllowedRoutes != nil && l.spec.AllowedRoutes.Namespaces != nil {
		if l.spec.AllowedRoutes.Namespaces.From != nil {
			from = *l.spec.AllowedRoutes.Namespaces.From
		}
		selector = l.spec.AllowedRoutes.Namespaces.Selector
	}
	switch from {
	case gatewayv1.NamespacesFromAll:
		return true
	case gatewayv1.NamespacesFromSame:
		return namespace == l.gateway.Namespace
	case gatewayv1.NamespacesFromSelector:
		if selector == nil {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			return false
		}
		return s.Matches(labels.Set(in.namespaceLabels[namespace]))
	}
	return false
}

// status renders the listener's status; programmed says whether the data plane serves it.
func (l *listener) status(programmed bool, programmedReason, programmedMessage string) gatewayv1.ListenerStatus {
	gen := l.gateway.Generation
	accept := l.accept
	if l.conflicted && l.accepted {
		accept = condition(string(gatewayv1.ListenerConditionAccepted), false, l.conflict.Reason, l.conflict.Message, gen)
	}
	kinds := l.kinds
	if kinds == nil {
		kinds = []gatewayv1.RouteGroupKind{}
	}
	return gatewayv1.ListenerStatus{
		Name:           l.spec.Name,
		SupportedKinds: kinds,
		AttachedRoutes: l.attached,
		Conditions: []metav1.Condition{
			accept,
			condition(string(gatewayv1.ListenerConditionProgrammed), programmed, programmedReason, programmedMessage, gen),
			l.resolve,
			l.conflict,
		},
	}
}
