package translate

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A BackendTLSPolicy makes the proxy open TLS to the servers of the Service ports it targets and
// verify them. A Service port targeted by a policy the proxy cannot honour (no usable CA, an
// unsupported field) gets no servers: its connections fail rather than go out in plain text.

// caCertificateKey is where a ConfigMap holds a CA bundle.
const caCertificateKey = "ca.crt"

// wellKnownSystem is the one wellKnownCACertificates value served: the system's trusted roots.
const wellKnownSystem = "System"

// policyTarget is a Service port a policy selects: by port name, or the whole Service ("").
type policyTarget struct{ namespace, service, section string }

// backendPolicy is one BackendTLSPolicy as the build judged it.
type backendPolicy struct {
	spec *gatewayv1.BackendTLSPolicy
	// tls is how its Service ports are reached; nil when the policy cannot be honoured.
	tls *model.BackendTLS
	// accepted and resolvedRefs are its conditions (Conflicted replaces accepted later).
	accepted, resolvedRefs metav1.Condition
	conflicted             bool
}

// backendPolicies indexes the policies that take precedence by the Service ports they select.
type backendPolicies struct {
	all      []*backendPolicy
	byTarget map[policyTarget]*backendPolicy
}

func newBackendPolicies(policies []gatewayv1.BackendTLSPolicy, configMaps map[string]*corev1.ConfigMap) *backendPolicies {
	out := &backendPolicies{byTarget: map[policyTarget]*backendPolicy{}}
	for i := range policies {
		out.all = append(out.all, judgePolicy(&policies[i], configMaps))
	}
	// The older policy takes precedence, then the first by namespace/name (the snapshot's order).
	byPrecedence := slices.Clone(out.all)
	slices.SortStableFunc(byPrecedence, func(a, b *backendPolicy) int {
		return a.spec.CreationTimestamp.Compare(b.spec.CreationTimestamp.Time)
	})
	for _, p := range byPrecedence {
		for _, ref := range p.spec.Spec.TargetRefs {
			if ref.Group != "" && ref.Group != corev1.GroupName || ref.Kind != "Service" {
				continue
			}
			target := policyTarget{p.spec.Namespace, string(ref.Name), ""}
			if ref.SectionName != nil {
				target.section = string(*ref.SectionName)
			}
			if _, taken := out.byTarget[target]; taken {
				p.conflicted = true
				continue
			}
			out.byTarget[target] = p
		}
	}
	return out
}

// judgePolicy checks a policy's fields and resolves its CA certificates.
func judgePolicy(p *gatewayv1.BackendTLSPolicy, configMaps map[string]*corev1.ConfigMap) *backendPolicy {
	gen := p.Generation
	out := &backendPolicy{spec: p,
		accepted:     condition(string(gatewayv1.PolicyConditionAccepted), true, string(gatewayv1.PolicyReasonAccepted), "Policy accepted", gen),
		resolvedRefs: condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), true, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs), "CA certificates resolved", gen)}
	invalid := func(message string) *backendPolicy {
		out.accepted = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.PolicyReasonInvalid), message, gen)
		return out
	}
	v := p.Spec.Validation
	hostname := strings.ToLower(string(v.Hostname))
	if err := syntax.Hostname(hostname); err != nil || strings.HasPrefix(hostname, "*") {
		return invalid(fmt.Sprintf("validation.hostname %q is not a host name the proxy can send as SNI", v.Hostname))
	}
	if len(v.SubjectAltNames) > 0 {
		// HAProxy 2.6 verifies a server's certificate against the SNI it sends, and the spec
		// forbids using the hostname for verification once subjectAltNames are given.
		return invalid("validation.subjectAltNames is not supported: the proxy verifies a backend's certificate against validation.hostname")
	}
	tls := &model.BackendTLS{Hostname: hostname}
	if v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != "" {
		if *v.WellKnownCACertificates != wellKnownSystem {
			return invalid(fmt.Sprintf("validation.wellKnownCACertificates %q is not supported; supported: %s", *v.WellKnownCACertificates, wellKnownSystem))
		}
		tls.SystemCAs = true
		out.tls = tls
		return out
	}
	var bundle []byte
	var problems []string
	reason := gatewayv1.BackendTLSPolicyReasonInvalidCACertificateRef
	valid := 0
	for _, ref := range v.CACertificateRefs {
		pem, problem, kindProblem := caCertificates(p.Namespace, ref, configMaps)
		if problem != "" {
			problems = append(problems, problem)
			if kindProblem {
				reason = gatewayv1.BackendTLSPolicyReasonInvalidKind
			}
			continue
		}
		valid++
		bundle = append(bundle, pem...)
	}
	if len(problems) > 0 {
		out.resolvedRefs = condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), false, string(reason), strings.Join(problems, "; "), gen)
		if valid == 0 {
			out.accepted = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate),
				"no caCertificateRef can be used", gen)
		}
		// Connections through a policy with an invalid reference fail, as the spec asks.
		return out
	}
	if len(v.CACertificateRefs) == 0 {
		return invalid("validation needs caCertificateRefs or wellKnownCACertificates")
	}
	sum := sha256.Sum256(bundle)
	tls.CACertificates, tls.CAFingerprint = bundle, hex.EncodeToString(sum[:])
	out.tls = tls
	return out
}

// caCertificates reads the CA bundle one caCertificateRef names: a ConfigMap's ca.crt, checked the
// way HAProxy loads a CA file. Otherwise it says why not, and whether the kind is the problem.
func caCertificates(namespace string, ref gatewayv1.LocalObjectReference, configMaps map[string]*corev1.ConfigMap) ([]byte, string, bool) {
	if ref.Group != "" && ref.Group != corev1.GroupName || ref.Kind != "ConfigMap" {
		return nil, fmt.Sprintf("caCertificateRef %s: kind %s is not supported; supported: core ConfigMap",
			ref.Name, strings.TrimPrefix(string(ref.Group)+"/"+string(ref.Kind), "/")), true
	}
	cm, ok := configMaps[namespace+"/"+string(ref.Name)]
	if !ok {
		return nil, fmt.Sprintf("caCertificateRef %s: ConfigMap not found", ref.Name), false
	}
	data, ok := cm.Data[caCertificateKey]
	if !ok {
		return nil, fmt.Sprintf("caCertificateRef %s: ConfigMap has no key %s", ref.Name, caCertificateKey), false
	}
	pem, err := syntax.CABundle([]byte(data))
	if err != nil {
		return nil, fmt.Sprintf("caCertificateRef %s: %v", ref.Name, err), false
	}
	return pem, "", false
}

// forPort is the policy that serves a Service port: the one naming the port, else the one naming
// the whole Service; nil when none does.
func (ps *backendPolicies) forPort(namespace, service, portName string) *backendPolicy {
	if ps == nil || len(ps.byTarget) == 0 {
		return nil
	}
	if portName != "" {
		if p := ps.byTarget[policyTarget{namespace, service, portName}]; p != nil {
			return p
		}
	}
	return ps.byTarget[policyTarget{namespace, service, ""}]
}

// targets reports whether some policy selects a port of the Service ("namespace/name").
func (ps *backendPolicies) targets(serviceKey string) bool {
	if ps == nil {
		return false
	}
	namespace, name, _ := strings.Cut(serviceKey, "/")
	for t := range ps.byTarget {
		if t.namespace == namespace && t.service == name {
			return true
		}
	}
	return false
}

// policyStatus is every policy's status: one ancestor entry for each Gateway that accepted a route
// whose backendRefs name a Service port the policy serves (or was conflicted out of).
func policyStatus(ps *backendPolicies, s *snapshot.Snapshot, routes []model.Route, in *index, controllerName string) []model.Policy {
	if ps == nil || len(ps.all) == 0 {
		return nil
	}
	type routeID struct{ kind, namespace, name string }
	acceptedBy := map[routeID][]gatewayv1.ParentReference{}
	for _, r := range routes {
		for _, parent := range r.Parents {
			if !meta.IsStatusConditionTrue(parent.Conditions, string(gatewayv1.RouteConditionAccepted)) {
				continue
			}
			namespace := gatewayv1.Namespace(r.Namespace)
			if parent.ParentRef.Namespace != nil && *parent.ParentRef.Namespace != "" {
				namespace = *parent.ParentRef.Namespace
			}
			id := routeID{r.Kind, r.Namespace, r.Name}
			acceptedBy[id] = addAncestor(acceptedBy[id], gatewayv1.ParentReference{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)),
				Kind: ptr.To(gatewayv1.Kind("Gateway")), Namespace: ptr.To(namespace), Name: parent.ParentRef.Name})
		}
	}
	// Gateways by the target that serves each backendRef's Service port; a policy's ancestors are
	// those of the targets it names, whether it won them or was conflicted out.
	ancestors := map[policyTarget][]gatewayv1.ParentReference{}
	use := func(id routeID, refs []gatewayv1.BackendObjectReference) {
		gateways := acceptedBy[id]
		if len(gateways) == 0 {
			return
		}
		for _, ref := range refs {
			if target, ok := ps.targetOf(id.namespace, ref, in); ok {
				for _, g := range gateways {
					ancestors[target] = addAncestor(ancestors[target], g)
				}
			}
		}
	}
	for i := range s.TLSRoutes {
		r := &s.TLSRoutes[i]
		use(routeID{kindTLSRoute, r.Namespace, r.Name}, backendRefsOf(r))
	}
	for i := range s.HTTPRoutes {
		r := &s.HTTPRoutes[i]
		use(routeID{kindHTTPRoute, r.Namespace, r.Name}, backendRefsOf(r))
	}
	out := make([]model.Policy, 0, len(ps.all))
	for _, p := range ps.all {
		accepted := p.accepted
		if p.conflicted {
			accepted = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.PolicyReasonConflicted),
				"an older BackendTLSPolicy selects the same Service port", p.spec.Generation)
		}
		status := model.Policy{Namespace: p.spec.Namespace, Name: p.spec.Name}
		var refs []gatewayv1.ParentReference
		for _, t := range p.spec.Spec.TargetRefs {
			target := policyTarget{p.spec.Namespace, string(t.Name), ""}
			if t.SectionName != nil {
				target.section = string(*t.SectionName)
			}
			for _, g := range ancestors[target] {
				refs = addAncestor(refs, g)
			}
		}
		slices.SortFunc(refs, func(a, b gatewayv1.ParentReference) int {
			return cmp.Or(cmp.Compare(*a.Namespace, *b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		for _, ref := range refs {
			status.Ancestors = append(status.Ancestors, gatewayv1.PolicyAncestorStatus{AncestorRef: ref,
				ControllerName: gatewayv1.GatewayController(controllerName), Conditions: []metav1.Condition{accepted, p.resolvedRefs}})
		}
		out = append(out, status)
	}
	return out
}

// targetOf is the target whose policy serves the Service port a route's backendRef names: the
// port's own, else the whole Service's. False when no policy selects the port.
func (ps *backendPolicies) targetOf(routeNamespace string, ref gatewayv1.BackendObjectReference, in *index) (policyTarget, bool) {
	if !snapshot.NamesService(ref) || ref.Port == nil {
		return policyTarget{}, false
	}
	namespace := routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	svc, ok := in.services[namespace+"/"+string(ref.Name)]
	if !ok {
		return policyTarget{}, false
	}
	for _, port := range svc.Spec.Ports {
		if port.Port != int32(*ref.Port) {
			continue
		}
		for _, target := range []policyTarget{{namespace, string(ref.Name), port.Name}, {namespace, string(ref.Name), ""}} {
			if _, ok := ps.byTarget[target]; ok {
				return target, true
			}
		}
	}
	return policyTarget{}, false
}

// addAncestor appends a Gateway reference unless the list has it.
func addAncestor(list []gatewayv1.ParentReference, ref gatewayv1.ParentReference) []gatewayv1.ParentReference {
	if slices.ContainsFunc(list, func(o gatewayv1.ParentReference) bool { return o.Name == ref.Name && *o.Namespace == *ref.Namespace }) {
		return list
	}
	return append(list, ref)
}
