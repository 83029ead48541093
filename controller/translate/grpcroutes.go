package translate

import (
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// grpcRoute decides a GRPCRoute on its own. A gRPC call is an HTTP/2 POST to
// "/<service>/<method>", so its rules are HTTP rules on that path: a method match naming both is
// an exact path, one naming a service alone is the prefix "/<service>" (whole segments: it takes
// every method of the service and no other service). Its backends speak HTTP/2 to their servers.
func grpcRoute(route *gatewayv1.GRPCRoute, gateways map[types.NamespacedName]*gateway, in *index, opts Options) *routeResult {
	return routeOfHTTPRules(kindGRPCRoute, route, route.Spec.ParentRefs, route.Spec.Hostnames, len(route.Spec.Rules), gateways, in, opts,
		func(id model.BackendID) (model.Backend, *refProblem, []model.HTTPRule, string) {
			rule := route.Spec.Rules[id.Rule]
			refs := make([]gatewayv1.BackendRef, 0, len(rule.BackendRefs))
			for _, ref := range rule.BackendRefs {
				refs = append(refs, ref.BackendRef)
			}
			b, problem := httpBackend(id, refs, in)
			rules, why := grpcMatches(rule, id)
			return b, problem, rules, why
		})
}

// grpcMatches turns a rule's matches into data plane rules, or says what it uses that is not
// served. A rule without matches matches every call.
func grpcMatches(rule gatewayv1.GRPCRouteRule, backend model.BackendID) ([]model.HTTPRule, string) {
	filters, why := httpFilters(asHTTPFilters(rule.Filters))
	if why != "" {
		return nil, why
	}
	for _, ref := range rule.BackendRefs {
		if len(ref.Filters) > 0 {
			return nil, fmt.Sprintf("backendRef filter %s is not supported", ref.Filters[0].Type)
		}
	}
	if rule.SessionPersistence != nil {
		return nil, "sessionPersistence is not supported"
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gatewayv1.GRPCRouteMatch{{}}
	}
	var out []model.HTTPRule
	for i, m := range matches {
		r := model.HTTPRule{PathType: model.PathPrefix, Path: "/", Backend: backend, Match: i, Filters: filters}
		if m.Method != nil {
			if why := grpcPath(&r, m.Method); why != "" {
				return nil, why
			}
		}
		for _, h := range m.Headers {
			if h.Type != nil && *h.Type != gatewayv1.GRPCHeaderMatchExact {
				return nil, fmt.Sprintf("header match type %s is not supported", *h.Type)
			}
			if why := addHeaderMatch(&r, string(h.Name), h.Value); why != "" {
				return nil, why
			}
		}
		if err := syntax.RuleSize(ruleStrings(r)); err != nil {
			return nil, err.Error()
		}
		out = append(out, r)
	}
	return out, ""
}

// grpcPath sets the path a method match selects. A method without a service would be the second
// segment of any first one, which path lookups (exact, then whole-segment prefixes) cannot
// express; such a match is not served rather than widened.
func grpcPath(r *model.HTTPRule, m *gatewayv1.GRPCMethodMatch) string {
	if m.Type != nil && *m.Type != gatewayv1.GRPCMethodMatchExact {
		return fmt.Sprintf("method match type %s is not supported", *m.Type)
	}
	service, method := "", ""
	if m.Service != nil {
		service = *m.Service
	}
	if m.Method != nil {
		method = *m.Method
	}
	switch {
	case service == "" && method == "":
		return ""
	case service == "":
		return "a method match without a service is not supported"
	}
	if err := syntax.GRPCService(service); err != nil {
		return "method match: " + err.Error()
	}
	r.Path = "/" + service
	if method != "" {
		if err := syntax.GRPCMethod(method); err != nil {
			return "method match: " + err.Error()
		}
		r.PathType, r.Path = model.PathExact, r.Path+"/"+method
	}
	if err := syntax.Path(r.Path); err != nil {
		return "method match: " + err.Error()
	}
	return ""
}

// asHTTPFilters are a GRPCRoute rule's filters as the HTTPRoute filters they share their settings
// with, so that both kinds are read and checked alike; a type HTTPRoute lacks stays unsupported.
func asHTTPFilters(filters []gatewayv1.GRPCRouteFilter) []gatewayv1.HTTPRouteFilter {
	if len(filters) == 0 {
		return nil
	}
	out := make([]gatewayv1.HTTPRouteFilter, 0, len(filters))
	for _, f := range filters {
		out = append(out, gatewayv1.HTTPRouteFilter{
			Type:                   gatewayv1.HTTPRouteFilterType(f.Type),
			RequestHeaderModifier:  f.RequestHeaderModifier,
			ResponseHeaderModifier: f.ResponseHeaderModifier,
			RequestMirror:          f.RequestMirror,
			ExtensionRef:           f.ExtensionRef,
		})
	}
	return out
}
