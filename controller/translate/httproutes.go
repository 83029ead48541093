package translate

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// httpRoute decides an HTTPRoute on its own: the backend of each of its rules, and the listeners
// it attaches to. A route using a filter or match this controller does not serve is not accepted
// at all: serving it without that part would send requests where its author did not mean them to go.
func httpRoute(route *gatewayv1.HTTPRoute, gateways map[types.NamespacedName]*gateway, in *index, opts Options) *routeResult {
	gen := route.Generation
	resolved := condition(string(gatewayv1.RouteConditionResolvedRefs), true, string(gatewayv1.RouteReasonResolvedRefs), "All references are resolved", gen)
	r := &routeResult{backends: make([]model.Backend, 0, len(route.Spec.Rules))}
	unsupported := ""
	for i, rule := range route.Spec.Rules {
		id := model.BackendID{Kind: kindHTTPRoute, Namespace: route.Namespace, Name: route.Name, Rule: i}
		b, problem := httpBackend(id, rule.BackendRefs, in)
		r.addBackend(b, problem, &resolved, gen)
		ruleMatches, why := httpMatches(rule, id)
		if why != "" && unsupported == "" {
			unsupported = fmt.Sprintf("rule %d: %s", i, why)
		}
		r.what.rules = append(r.what.rules, ruleMatches...)
	}
	r.routeStatus(kindHTTPRoute, route, route.Spec.ParentRefs, gateways, opts, resolved,
		func(ref gatewayv1.ParentReference, gw *gateway) (metav1.Condition, []boundListener) {
			if unsupported != "" {
				return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), unsupported, gen), nil
			}
			return attachListeners(kindHTTPRoute, route, route.Spec.Hostnames, ref, gw, in)
		})
	r.presentClientCertificate(gateways, in)
	return r
}

// httpBackend builds the backend of one HTTPRoute rule. With no usable backendRef at all the
// rule answers 500, as the spec asks.
func httpBackend(id model.BackendID, refs []gatewayv1.HTTPBackendRef, in *index) (model.Backend, *refProblem) {
	plain := make([]gatewayv1.BackendRef, 0, len(refs))
	usable := 0
	for _, ref := range refs {
		plain = append(plain, ref.BackendRef)
		if _, p := resolveBackendRef(id, ref.BackendRef, in); p == nil {
			usable++
		}
	}
	b, problem := backend(id, plain, in)
	b.HTTP = true
	b.Unresolved = usable == 0
	if b.Unresolved {
		b.Servers = nil
	}
	return b, problem
}

// httpMatches turns a rule's matches into data plane rules, or says what it uses that is not
// served. A rule without matches matches every path.
func httpMatches(rule gatewayv1.HTTPRouteRule, backend model.BackendID) ([]model.HTTPRule, string) {
	if len(rule.Filters) > 0 {
		return nil, fmt.Sprintf("filter %s is not supported", rule.Filters[0].Type)
	}
	for _, ref := range rule.BackendRefs {
		if len(ref.Filters) > 0 {
			return nil, fmt.Sprintf("backendRef filter %s is not supported", ref.Filters[0].Type)
		}
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gatewayv1.HTTPRouteMatch{{}}
	}
	var out []model.HTTPRule
	for _, m := range matches {
		r := model.HTTPRule{PathType: model.PathPrefix, Path: "/", Backend: backend}
		if m.Path != nil {
			if m.Path.Type != nil {
				switch *m.Path.Type {
				case gatewayv1.PathMatchExact:
					r.PathType = model.PathExact
				case gatewayv1.PathMatchPathPrefix:
				default:
					return nil, fmt.Sprintf("path match type %s is not supported", *m.Path.Type)
				}
			}
			if m.Path.Value != nil {
				r.Path = *m.Path.Value
			}
			if r.PathType == model.PathPrefix && r.Path != "/" {
				// The spec ignores a trailing slash of a prefix: "/foo/" matches "/foo" too.
				r.Path = strings.TrimRight(r.Path, "/")
				if r.Path == "" {
					r.Path = "/"
				}
			}
		}
		if len(m.QueryParams) > 0 {
			return nil, "query parameter matches are not supported"
		}
		if err := syntax.Path(r.Path); err != nil {
			return nil, "path match: " + err.Error()
		}
		if m.Method != nil {
			r.Method = string(*m.Method)
			if err := syntax.Method(r.Method); err != nil {
				return nil, err.Error()
			}
		}
		for _, h := range m.Headers {
			if h.Type != nil && *h.Type != gatewayv1.HeaderMatchExact {
				return nil, fmt.Sprintf("header match type %s is not supported", *h.Type)
			}
			if err := syntax.HeaderName(string(h.Name)); err != nil {
				return nil, "header match: " + err.Error()
			}
			if err := syntax.HeaderValue(h.Value); err != nil {
				return nil, fmt.Sprintf("header match %s: %v", syntax.Printable(string(h.Name)), err)
			}
			// Header names are case-insensitive; the first match of a name is the one that counts.
			if !containsHeader(r.Headers, string(h.Name)) {
				r.Headers = append(r.Headers, model.HeaderMatch{Name: strings.ToLower(string(h.Name)), Value: h.Value})
			}
		}
		if err := syntax.HeaderMatches(len(r.Headers)); err != nil {
			return nil, err.Error()
		}
		out = append(out, r)
	}
	return out, ""
}

func containsHeader(headers []model.HeaderMatch, name string) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}
