package translate

import (
	"fmt"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A Gateway's spec.tls.backend.clientCertificateRef is the certificate the proxy presents when it
// opens TLS to a backend (a BackendTLSPolicy): backends that ask for client certificates then know
// the gateway.

// backendClientCertificate resolves a Gateway's client certificate toward backends: nil without
// one; a problem makes the Gateway's ResolvedRefs False.
func backendClientCertificate(gw *gatewayv1.Gateway, in *index) (*model.Certificate, *metav1.Condition) {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Backend == nil || gw.Spec.TLS.Backend.ClientCertificateRef == nil {
		return nil, nil
	}
	gen := gw.Generation
	ref := gw.Spec.TLS.Backend.ClientCertificateRef
	namespace := gw.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	name := namespace + "/" + string(ref.Name)
	fail := func(reason gatewayv1.GatewayConditionReason, message string) (*model.Certificate, *metav1.Condition) {
		c := condition(string(gatewayv1.GatewayConditionResolvedRefs), false, string(reason), message, gen)
		return nil, &c
	}
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return fail(gatewayv1.GatewayReasonInvalidClientCertificateRef, fmt.Sprintf("clientCertificateRef %s: only core Secrets are supported", name))
	}
	if problem := objectProblem(namespace, string(ref.Name)); problem != "" {
		return fail(gatewayv1.GatewayReasonInvalidClientCertificateRef, "clientCertificateRef "+problem)
	}
	if !permitted(in.grants, reference{fromGroup: gatewayv1.GroupName, fromKind: "Gateway", fromNamespace: gw.Namespace,
		toGroup: "", toKind: "Secret", toNamespace: namespace, toName: string(ref.Name)}) {
		return fail(gatewayv1.GatewayReasonRefNotPermitted, fmt.Sprintf("clientCertificateRef %s is in another namespace and no ReferenceGrant allows it", name))
	}
	cert, err := in.certificate(namespace, string(ref.Name))
	if err != nil {
		return fail(gatewayv1.GatewayReasonInvalidClientCertificateRef, fmt.Sprintf("clientCertificateRef %s: %v", name, err))
	}
	c := condition(string(gatewayv1.GatewayConditionResolvedRefs), true, string(gatewayv1.GatewayReasonResolvedRefs), "All references are resolved", gen)
	return &cert, &c
}

// presentClientCertificate gives the TLS servers of a route's backends the client certificate of
// the Gateways the route attached to. Gateways that disagree present none: a backend asking for
// one refuses the connection rather than learn the wrong gateway.
func (r *routeResult) presentClientCertificate(gateways map[types.NamespacedName]*gateway, in *index) {
	var cert *model.Certificate
	seen := false
	for _, bound := range r.bound {
		for _, b := range bound {
			c := gateways[b.gateway].clientCertificate
			switch {
			case !seen:
				cert, seen = c, true
			case (cert == nil) != (c == nil) || cert != nil && (cert.Namespace != c.Namespace || cert.Name != c.Name):
				return
			}
		}
	}
	if cert == nil {
		return
	}
	// One copy per policy: servers are told apart by their TLS settings' pointer, so refs to one
	// Service port must keep sharing one.
	copies := map[*model.BackendTLS]*model.BackendTLS{}
	for i, b := range r.backends {
		if !slices.ContainsFunc(b.Refs, func(ref model.ServiceRef) bool { return ref.TLS != nil }) {
			continue
		}
		refs := slices.Clone(b.Refs)
		for j := range refs {
			if policy := refs[j].TLS; policy != nil {
				if copies[policy] == nil {
					tls := *policy
					tls.ClientCertificate = cert
					copies[policy] = &tls
				}
				refs[j].TLS = copies[policy]
			}
		}
		r.backends[i] = withRefs(b, refs, in)
	}
}
