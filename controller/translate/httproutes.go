package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// httpRoute decides an HTTPRoute on its own: the backend of each of its rules, and the listeners
// it attaches to.
func httpRoute(route *gatewayv1.HTTPRoute, gateways map[types.NamespacedName]*gateway, in *index, opts Options) *routeResult {
	return routeOfHTTPRules(kindHTTPRoute, route, route.Spec.ParentRefs, route.Spec.Hostnames, len(route.Spec.Rules), gateways, in, opts,
		func(id model.BackendID) (model.Backend, *refProblem, []model.HTTPRule, string) {
			rule := route.Spec.Rules[id.Rule]
			refs := make([]gatewayv1.BackendRef, 0, len(rule.BackendRefs))
			for _, ref := range rule.BackendRefs {
				refs = append(refs, ref.BackendRef)
			}
			b, problem := httpBackend(id, refs, in)
			rules, why := httpMatches(rule, id)
			return b, problem, rules, why
		})
}

// ruleDecision is what one rule of a route served as HTTP rules comes to: its backend, how a
// backendRef failed to resolve, its data plane rules, and what it uses that is not served ("" for
// nothing).
type ruleDecision func(id model.BackendID) (b model.Backend, problem *refProblem, rules []model.HTTPRule, unsupported string)

// routeOfHTTPRules decides a route whose rules the proxy serves as HTTP rules (an HTTPRoute, or a
// GRPCRoute, whose calls are HTTP/2 requests): the backend of each of its rules, and the listeners
// it attaches to. A route using a filter or match this controller does not serve is not accepted
// at all: serving it without that part would send requests where its author did not mean them to go.
func routeOfHTTPRules(kind string, route metav1.Object, parentRefs []gatewayv1.ParentReference, hostnames []gatewayv1.Hostname, rules int,
	gateways map[types.NamespacedName]*gateway, in *index, opts Options, decide ruleDecision) *routeResult {
	gen := route.GetGeneration()
	resolved := condition(string(gatewayv1.RouteConditionResolvedRefs), true, string(gatewayv1.RouteReasonResolvedRefs), "All references are resolved", gen)
	r := &routeResult{backends: make([]*model.Backend, 0, rules)}
	r.kind = kind
	unsupported := ""
	for i := range rules {
		id := model.BackendID{Kind: kind, Namespace: route.GetNamespace(), Name: route.GetName(), Rule: i}
		b, problem, ruleMatches, why := decide(id)
		r.addBackend(b, problem, &resolved, gen)
		if why != "" && unsupported == "" {
			unsupported = fmt.Sprintf("rule %d: %s", i, why)
		}
		r.rules = append(r.rules, ruleMatches...)
	}
	r.routeStatus(kind, route, parentRefs, gateways, in, opts, resolved,
		func(ref gatewayv1.ParentReference, gw *gateway) (metav1.Condition, []boundListener) {
			if unsupported != "" {
				return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), unsupported, gen), nil
			}
			return attachListeners(kind, route, hostnames, ref, gw, in)
		})
	r.presentClientCertificate(gateways, in)
	return r
}

// httpBackend builds the backend of one rule served as HTTP. The requests that would have gone to
// a backendRef that cannot be used get 500 (a gRPC call UNAVAILABLE), in proportion to its
// weight; all of them when the rule has no usable backendRef at all, as the spec asks.
func httpBackend(id model.BackendID, refs []gatewayv1.BackendRef, in *index) (model.Backend, *refProblem) {
	var unresolved int32
	usable := 0
	for _, ref := range refs {
		if _, p := resolveBackendRef(id, ref, in); p != nil {
			unresolved += ptr.Deref(ref.Weight, 1)
		} else {
			usable++
		}
	}
	b, problem := backend(id, refs, in)
	b.HTTP = true
	b.GRPC = id.Kind == kindGRPCRoute
	if usable == 0 {
		b.Refs, unresolved = nil, 1
	}
	b.UnresolvedWeight = unresolved
	b.Servers = BackendServers(&b, in.slicesByService)
	return b, problem
}

// httpMatches turns a rule's matches into data plane rules, or says what it uses that is not
// served. A rule without matches matches every path.
func httpMatches(rule gatewayv1.HTTPRouteRule, backend model.BackendID) ([]model.HTTPRule, string) {
	filters, why := httpFilters(rule.Filters)
	if why != "" {
		return nil, why
	}
	for _, ref := range rule.BackendRefs {
		if len(ref.Filters) > 0 {
			return nil, fmt.Sprintf("backendRef filter %s is not supported", ref.Filters[0].Type)
		}
	}
	switch {
	case rule.Retry != nil:
		return nil, "retry is not supported"
	case rule.SessionPersistence != nil:
		return nil, "sessionPersistence is not supported"
	}
	timeouts, why := httpTimeouts(rule.Timeouts)
	if why != "" {
		return nil, why
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gatewayv1.HTTPRouteMatch{{}}
	}
	var out []model.HTTPRule
	for i, m := range matches {
		r := model.HTTPRule{PathType: model.PathPrefix, Path: "/", Backend: backend, Match: i, Filters: filters, Timeouts: timeouts}
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
		if err := syntax.Path(r.Path); err != nil {
			return nil, "path match: " + err.Error()
		}
		if r.PathType == model.PathPrefix {
			if err := syntax.PrefixSegments(r.Path); err != nil {
				return nil, "path match: " + err.Error()
			}
		}
		if r.PathType != model.PathPrefix && replacesPrefix(filters) {
			return nil, "ReplacePrefixMatch needs PathPrefix matches"
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
			if why := addHeaderMatch(&r, string(h.Name), h.Value); why != "" {
				return nil, why
			}
		}
		for _, q := range m.QueryParams {
			if q.Type != nil && *q.Type != gatewayv1.QueryParamMatchExact {
				return nil, fmt.Sprintf("query parameter match type %s is not supported", *q.Type)
			}
			if err := syntax.HeaderName(string(q.Name)); err != nil {
				return nil, "query parameter match: " + err.Error()
			}
			if err := syntax.HeaderValue(q.Value); err != nil {
				return nil, fmt.Sprintf("query parameter match %s: %v", syntax.Printable(string(q.Name)), err)
			}
			// Query parameter names are case-sensitive; the first match of a name counts.
			if !slices.ContainsFunc(r.QueryParams, func(x model.QueryParamMatch) bool { return x.Name == string(q.Name) }) {
				r.QueryParams = append(r.QueryParams, model.QueryParamMatch{Name: string(q.Name), Value: q.Value})
			}
		}
		if err := syntax.RuleSize(ruleStrings(r)); err != nil {
			return nil, err.Error()
		}
		out = append(out, r)
	}
	return out, ""
}

// httpTimeouts reads a rule's timeouts, or says which one HAProxy cannot take. Nil when the rule
// sets none.
func httpTimeouts(t *gatewayv1.HTTPRouteTimeouts) (*model.HTTPTimeouts, string) {
	if t == nil || t.Request == nil && t.BackendRequest == nil {
		return nil, ""
	}
	read := func(field string, d *gatewayv1.Duration) (*metav1.Duration, string) {
		if d == nil {
			return nil, ""
		}
		v, err := syntax.Timeout(string(*d))
		if err != nil {
			return nil, "timeouts." + field + ": " + err.Error()
		}
		return &metav1.Duration{Duration: v}, ""
	}
	var out model.HTTPTimeouts
	var why string
	if out.Request, why = read("request", t.Request); why != "" {
		return nil, why
	}
	if out.BackendRequest, why = read("backendRequest", t.BackendRequest); why != "" {
		return nil, why
	}
	return &out, ""
}

// addHeaderMatch adds the condition that a request carry a header with exactly value, or says why
// it cannot be served. Header names are case-insensitive; the first match of a name is the one
// that counts.
func addHeaderMatch(r *model.HTTPRule, name, value string) string {
	if err := syntax.HeaderName(name); err != nil {
		return "header match: " + err.Error()
	}
	if err := syntax.HeaderValue(value); err != nil {
		return fmt.Sprintf("header match %s: %v", syntax.Printable(name), err)
	}
	if !containsHeader(r.Headers, name) {
		r.Headers = append(r.Headers, model.HeaderMatch{Name: strings.ToLower(name), Value: value})
	}
	return ""
}

func replacesPrefix(f *model.HTTPFilters) bool {
	if f == nil {
		return false
	}
	return f.Redirect != nil && f.Redirect.Path != nil && f.Redirect.Path.Type == model.ReplacePrefixMatch ||
		f.Rewrite != nil && f.Rewrite.Path != nil && f.Rewrite.Path.Type == model.ReplacePrefixMatch
}

// ruleStrings are the strings of a rule that the proxy keeps with it, for its size.
func ruleStrings(r model.HTTPRule) []string {
	out := []string{r.Method}
	for _, h := range r.Headers {
		out = append(out, h.Name, h.Value)
	}
	for _, q := range r.QueryParams {
		out = append(out, q.Name, q.Value)
	}
	f := r.Filters
	if f == nil {
		return out
	}
	for _, m := range []*model.HeaderModifier{f.RequestHeaders, f.ResponseHeaders} {
		if m == nil {
			continue
		}
		for _, h := range append(slices.Clone(m.Set), m.Add...) {
			out = append(out, h.Name, h.Value)
		}
		out = append(out, m.Remove...)
	}
	if f.Redirect != nil {
		out = append(out, f.Redirect.Scheme, f.Redirect.Hostname)
		if f.Redirect.Path != nil {
			out = append(out, f.Redirect.Path.Value)
		}
	}
	if f.Rewrite != nil {
		out = append(out, f.Rewrite.Hostname)
		if f.Rewrite.Path != nil {
			out = append(out, f.Rewrite.Path.Value)
		}
	}
	return out
}

func containsHeader(headers []model.HeaderMatch, name string) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}
