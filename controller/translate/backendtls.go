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
	// lost are the targets an older policy took: Gateways reached only through them see the
	// policy Conflicted.
	lost map[policyTarget]bool
}

// backendPolicies indexes the policies that take precedence by the Service ports they select.
type backendPolicies struct {
	all      []*backendPolicy
	byTarget map[policyTarget]*backendPolicy
}

func newBackendPolicies(policies []gatewayv1.BackendTLSPolicy, cas caSources) *backendPolicies {
	out := &backendPolicies{byTarget: map[policyTarget]*backendPolicy{}}
	for i := range policies {
		out.all = append(out.all, judgePolicy(&policies[i], cas))
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
				if p.lost == nil {
					p.lost = map[policyTarget]bool{}
				}
				p.lost[target] = true
				continue
			}
			out.byTarget[target] = p
		}
	}
	return out
}

// judgePolicy resolves a policy's CA certificates, then checks the rest of its fields.
func judgePolicy(p *gatewayv1.BackendTLSPolicy, cas caSources) *backendPolicy {
	gen := p.Generation
	out := &backendPolicy{spec: p,
		accepted: condition(string(gatewayv1.PolicyConditionAccepted), true, string(gatewayv1.PolicyReasonAccepted), "Policy accepted", gen)}
	v := p.Spec.Validation
	tls := &model.BackendTLS{}
	system := v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != ""
	// Connections through a policy with an invalid reference fail, as the spec asks: tls stays nil.
	usable := true
	switch {
	case system:
		out.resolvedRefs = condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), true, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs),
			"wellKnownCACertificates needs no reference", gen)
		tls.SystemCAs = true
	default:
		var bundle []byte
		var problems []string
		reason := gatewayv1.BackendTLSPolicyReasonInvalidCACertificateRef
		for _, ref := range v.CACertificateRefs {
			pem, problem, kindProblem := caCertificates(p.Namespace, ref, cas)
			if problem != "" {
				problems = append(problems, problem)
				if kindProblem {
					reason = gatewayv1.BackendTLSPolicyReasonInvalidKind
				}
				continue
			}
			bundle = append(bundle, pem...)
		}
		if len(problems) > 0 {
			usable = false
			out.resolvedRefs = condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), false, string(reason), strings.Join(problems, "; "), gen)
			if len(problems) == len(v.CACertificateRefs) {
				out.accepted = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate),
					"no caCertificateRef can be used", gen)
			}
		} else {
			out.resolvedRefs = condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), true, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs),
				"CA certificates resolved", gen)
			sum := sha256.Sum256(bundle)
			tls.CACertificates, tls.CAFingerprint = bundle, hex.EncodeToString(sum[:])
		}
	}
	invalid := func(message string) *backendPolicy {
		out.accepted = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.PolicyReasonInvalid), message, gen)
		return out
	}
	tls.Hostname = strings.ToLower(string(v.Hostname))
	switch {
	case system && *v.WellKnownCACertificates != wellKnownSystem:
		return invalid(fmt.Sprintf("validation.wellKnownCACertificates %q is not supported; supported: %s", *v.WellKnownCACertificates, wellKnownSystem))
	case !system && len(v.CACertificateRefs) == 0:
		return invalid("validation needs caCertificateRefs or wellKnownCACertificates")
	case syntax.Hostname(tls.Hostname) != nil || strings.HasPrefix(tls.Hostname, "*"):
		return invalid(fmt.Sprintf("validation.hostname %q is not a host name the proxy can send as SNI", v.Hostname))
	case len(v.SubjectAltNames) > 0:
		// HAProxy 2.6 verifies a server's certificate against the SNI it sends, and the spec
		// forbids using the hostname for verification once subjectAltNames are given.
		return invalid("validation.subjectAltNames is not supported: the proxy verifies a backend's certificate against validation.hostname")
	}
	if usable {
		out.tls = tls
	}
	return out
}

// caCertificates reads the CA bundle one caCertificateRef of a policy names: a ConfigMap in the
// policy's namespace, or a ClusterTrustBundle by name. Otherwise it says why not, and whether the
// kind is the problem.
func caCertificates(namespace string, ref gatewayv1.LocalObjectReference, cas caSources) ([]byte, string, bool) {
	switch {
	case namesConfigMap(ref.Group, ref.Kind):
		pem, problem := cas.configMap(namespace, string(ref.Name))
		return pem, problem, false
	case snapshot.NamesClusterTrustBundle(ref.Group, ref.Kind):
		return cas.trustBundle(string(ref.Name))
	}
	return nil, unsupportedKind(string(ref.Name), ref.Group, ref.Kind), true
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

// policyUses are, by route, the policy targets serving the Service ports its backendRefs name.
type policyUses map[routeKey][]policyTarget

// usesOf lists the policy targets a route's backendRefs reach, each once.
func (ps *backendPolicies) usesOf(namespace string, refs []gatewayv1.BackendObjectReference, in *index) []policyTarget {
	var out []policyTarget
	for _, ref := range refs {
		if target, ok := ps.targetOf(namespace, ref, in); ok && !slices.Contains(out, target) {
			out = append(out, target)
		}
	}
	return out
}

// usesIn is policyUses of every route of a snapshot; nil without policies.
func (ps *backendPolicies) usesIn(s *snapshot.Snapshot, in *index) policyUses {
	if ps == nil || len(ps.all) == 0 {
		return nil
	}
	uses := policyUses{}
	for _, r := range s.TLSRoutes {
		if targets := ps.usesOf(r.Namespace, backendRefsOf(r), in); len(targets) > 0 {
			uses[routeKey{kindTLSRoute, r.Namespace, r.Name}] = targets
		}
	}
	for _, r := range s.HTTPRoutes {
		if targets := ps.usesOf(r.Namespace, backendRefsOf(r), in); len(targets) > 0 {
			uses[routeKey{kindHTTPRoute, r.Namespace, r.Name}] = targets
		}
	}
	for _, r := range s.GRPCRoutes {
		if targets := ps.usesOf(r.Namespace, backendRefsOf(r), in); len(targets) > 0 {
			uses[routeKey{kindGRPCRoute, r.Namespace, r.Name}] = targets
		}
	}
	return uses
}

// policyStatus is every policy's status: one ancestor entry for each Gateway that accepted a route
// whose backendRefs name a Service port the policy serves (or was conflicted out of).
func policyStatus(ps *backendPolicies, uses policyUses, routes []*model.Route, controllerName string) []model.Policy {
	if ps == nil || len(ps.all) == 0 {
		return nil
	}
	// Gateways by target: those that accepted a route using it.
	ancestors := map[policyTarget][]gatewayv1.ParentReference{}
	for _, r := range routes {
		targets := uses[routeKey{r.Kind, r.Namespace, r.Name}]
		if len(targets) == 0 {
			continue
		}
		for _, parent := range r.Parents {
			if !meta.IsStatusConditionTrue(parent.Conditions, string(gatewayv1.RouteConditionAccepted)) {
				continue
			}
			namespace := gatewayv1.Namespace(r.Namespace)
			if parent.ParentRef.Namespace != nil && *parent.ParentRef.Namespace != "" {
				namespace = *parent.ParentRef.Namespace
			}
			g := gatewayv1.ParentReference{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)),
				Kind: ptr.To(gatewayv1.Kind("Gateway")), Namespace: ptr.To(namespace), Name: parent.ParentRef.Name}
			for _, t := range targets {
				ancestors[t] = addAncestor(ancestors[t], g)
			}
		}
	}
	out := make([]model.Policy, 0, len(ps.all))
	for _, p := range ps.all {
		// Each Gateway once, in order; it sees the policy in force when it is reached through a
		// target the policy won.
		var refs []gatewayv1.ParentReference
		inForce := map[string]bool{}
		for _, t := range p.spec.Spec.TargetRefs {
			target := policyTarget{p.spec.Namespace, string(t.Name), ""}
			if t.SectionName != nil {
				target.section = string(*t.SectionName)
			}
			for _, g := range ancestors[target] {
				refs = addAncestor(refs, g)
				key := string(*g.Namespace) + "/" + string(g.Name)
				inForce[key] = inForce[key] || !p.lost[target]
			}
		}
		slices.SortFunc(refs, func(a, b gatewayv1.ParentReference) int {
			return cmp.Or(cmp.Compare(*a.Namespace, *b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		conflicted := condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.PolicyReasonConflicted),
			"an older BackendTLSPolicy selects the same Service port", p.spec.Generation)
		status := model.Policy{Namespace: p.spec.Namespace, Name: p.spec.Name}
		for _, ref := range refs[:min(len(refs), maxAncestors)] {
			accepted := p.accepted
			if !inForce[string(*ref.Namespace)+"/"+string(ref.Name)] {
				accepted = conflicted
			}
			status.Ancestors = append(status.Ancestors, gatewayv1.PolicyAncestorStatus{AncestorRef: ref,
				ControllerName: gatewayv1.GatewayController(controllerName), Conditions: []metav1.Condition{accepted, p.resolvedRefs}})
		}
		out = append(out, status)
	}
	return out
}

// maxAncestors is how many ancestor entries a policy's status holds (the CRD's MaxItems): past it
// the API server refuses the whole status, so Gateways past the first 16 by namespace/name are
// not listed.
const maxAncestors = 16

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
