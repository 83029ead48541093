package translate

import (
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestGRPCMatches: each method match becomes the path a gRPC call to it has (service and method:
// the exact path; a service alone: the prefix of its calls; none: every call), header matches
// and header filters carry over, and what the data plane cannot express refuses the rule with
// the reason, never a wider match.
func TestGRPCMatches(t *testing.T) {
	exact := ptr.To(gatewayv1.GRPCMethodMatchExact)
	method := func(service, name string) gatewayv1.GRPCRouteMatch {
		m := &gatewayv1.GRPCMethodMatch{Type: exact}
		if service != "" {
			m.Service = ptr.To(service)
		}
		if name != "" {
			m.Method = ptr.To(name)
		}
		return gatewayv1.GRPCRouteMatch{Method: m}
	}
	headerFilter := &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "X-Via", Value: "gw"}}}
	for _, c := range []struct {
		name      string
		rule      gatewayv1.GRPCRouteRule
		pathType  model.PathMatchType
		path, why string
	}{
		{name: "no matches: every call", pathType: model.PathPrefix, path: "/"},
		{name: "service and method", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{method("echo.v1.Echo", "Echo")}},
			pathType: model.PathExact, path: "/echo.v1.Echo/Echo"},
		{name: "service alone", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{method("echo.v1.Echo", "")}},
			pathType: model.PathPrefix, path: "/echo.v1.Echo"},
		{name: "headers only", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{{Headers: []gatewayv1.GRPCHeaderMatch{{Name: "Version", Value: "2"}}}}},
			pathType: model.PathPrefix, path: "/"},
		{name: "header filters", rule: gatewayv1.GRPCRouteRule{Filters: []gatewayv1.GRPCRouteFilter{
			{Type: gatewayv1.GRPCRouteFilterRequestHeaderModifier, RequestHeaderModifier: headerFilter},
			{Type: gatewayv1.GRPCRouteFilterResponseHeaderModifier, ResponseHeaderModifier: headerFilter}}},
			pathType: model.PathPrefix, path: "/"},
		{name: "method without service", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{method("", "Echo")}},
			why: "a method match without a service is not supported"},
		{name: "regular expression method", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{
			Type: ptr.To(gatewayv1.GRPCMethodMatchRegularExpression), Service: ptr.To("echo.*")}}}},
			why: "method match type RegularExpression is not supported"},
		{name: "regular expression header", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{{Headers: []gatewayv1.GRPCHeaderMatch{
			{Type: ptr.To(gatewayv1.GRPCHeaderMatchRegularExpression), Name: "version", Value: "2.*"}}}}},
			why: "header match type RegularExpression is not supported"},
		{name: "a service holding the path separator", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{method("echo/v1", "Echo")}},
			why: "method match: gRPC service"},
		{name: "a method that is not an identifier", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{method("echo", "a.b")}},
			why: "method match: gRPC method"},
		{name: "a header value with a line break", rule: gatewayv1.GRPCRouteRule{Matches: []gatewayv1.GRPCRouteMatch{{Headers: []gatewayv1.GRPCHeaderMatch{
			{Name: "version", Value: "2\nuse_backend other"}}}}},
			why: `header match "version"`},
		{name: "a mirror filter", rule: gatewayv1.GRPCRouteRule{Filters: []gatewayv1.GRPCRouteFilter{{Type: gatewayv1.GRPCRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{}}}},
			why: "filter RequestMirror is not supported"},
		{name: "a backendRef filter", rule: gatewayv1.GRPCRouteRule{BackendRefs: []gatewayv1.GRPCBackendRef{{Filters: []gatewayv1.GRPCRouteFilter{
			{Type: gatewayv1.GRPCRouteFilterRequestHeaderModifier, RequestHeaderModifier: headerFilter}}}}},
			why: "backendRef filter RequestHeaderModifier is not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rules, why := grpcMatches(c.rule, model.BackendID{Kind: kindGRPCRoute, Namespace: "default", Name: "echo"})
			if c.why != "" {
				if !strings.HasPrefix(why, c.why) || rules != nil {
					t.Fatalf("rules %v, refusal %q; want a refusal starting %q", rules, why, c.why)
				}
				return
			}
			if why != "" || len(rules) != 1 {
				t.Fatalf("rules %v, refusal %q", rules, why)
			}
			if r := rules[0]; r.PathType != c.pathType || r.Path != c.path || r.Method != "" {
				t.Errorf("rule %+v; want %s %s and no HTTP method", r, c.pathType, c.path)
			}
			if len(c.rule.Filters) > 0 && (rules[0].Filters == nil || rules[0].Filters.RequestHeaders == nil || rules[0].Filters.ResponseHeaders == nil) {
				t.Errorf("filters %+v; want both header modifiers", rules[0].Filters)
			}
		})
	}
}
