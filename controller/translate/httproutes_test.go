package translate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRuleSizeLimit: a match is one entry of a map file and one runtime API command, so the
// strings of a match and its filters together are bounded (syntax.MaxRuleSize); the 16 header
// matches Gateway API allows fit, and header names that differ only in case count once, as only
// the first is used.
func TestRuleSizeLimit(t *testing.T) {
	headers := func(value string, names ...string) []gatewayv1.HTTPHeaderMatch {
		var out []gatewayv1.HTTPHeaderMatch
		for _, n := range names {
			out = append(out, gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(n), Value: value})
		}
		return out
	}
	var sixteen []string
	for i := range 16 {
		sixteen = append(sixteen, fmt.Sprintf("x-h%d", i))
	}
	long := strings.Repeat("v", syntax.MaxRuleSize/2)
	for _, c := range []struct {
		value string
		names []string
		ok    bool
	}{
		{"v", sixteen, true},
		{long, []string{"x-a"}, true},
		{long, []string{"x-a", "x-b"}, false},
		{long, []string{"x-a", "X-A"}, true},
	} {
		rule := gatewayv1.HTTPRouteRule{Matches: []gatewayv1.HTTPRouteMatch{{
			Method: ptr.To(gatewayv1.HTTPMethodGet), Headers: headers(c.value, c.names...),
			Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/api")},
		}}}
		rules, why := httpMatches(rule, model.BackendID{Kind: kindHTTPRoute, Namespace: "default", Name: "web"})
		if (why == "") != c.ok || (c.ok && len(rules) != 1) {
			t.Errorf("%d header names, values of %d bytes: rules %v, refusal %q; want accepted=%v", len(c.names), len(c.value), rules, why, c.ok)
		}
	}
}

// TestUnservedRuleFieldsRefused: a rule asking for what the proxy does not do is refused whole,
// never served without it.
func TestUnservedRuleFieldsRefused(t *testing.T) {
	backend := model.BackendID{Kind: kindHTTPRoute, Namespace: "default", Name: "web"}
	for want, rule := range map[string]gatewayv1.HTTPRouteRule{
		"retry is not supported":              {Retry: &gatewayv1.HTTPRouteRetry{Attempts: ptr.To(2)}},
		"sessionPersistence is not supported": {SessionPersistence: &gatewayv1.SessionPersistence{}},
		"filter RequestMirror is not supported": {Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{}}}},
		"backendRef filter RequestHeaderModifier is not supported": {BackendRefs: []gatewayv1.HTTPBackendRef{{
			Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier}}}}},
	} {
		if rules, why := httpMatches(rule, backend); why != want || rules != nil {
			t.Errorf("got %v, %q; want no rules and %q", rules, why, want)
		}
	}
}
