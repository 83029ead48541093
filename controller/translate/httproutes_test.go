package translate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestHeaderMatchesFitOneLine: a match becomes one line of haproxy.cfg, which HAProxy reads up to
// its 64th word, so a match with more header matches than fit is refused (a rule with 9 made
// "haproxy -c" fail). Header names that differ only in case count once, as only the first is used.
func TestHeaderMatchesFitOneLine(t *testing.T) {
	headers := func(names ...string) []gatewayv1.HTTPHeaderMatch {
		var out []gatewayv1.HTTPHeaderMatch
		for _, n := range names {
			out = append(out, gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(n), Value: "v"})
		}
		return out
	}
	var most []string
	for i := range syntax.MaxHeaderMatches {
		most = append(most, fmt.Sprintf("x-h%d", i))
	}
	for _, c := range []struct {
		names []string
		ok    bool
	}{
		{most, true},
		{append(slices.Clone(most), "x-more"), false},
		{append(slices.Clone(most), strings.ToUpper(most[0])), true},
	} {
		rule := gatewayv1.HTTPRouteRule{Matches: []gatewayv1.HTTPRouteMatch{{
			Method: ptr.To(gatewayv1.HTTPMethodGet), Headers: headers(c.names...),
			Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/api")},
		}}}
		rules, why := httpMatches(rule, model.BackendID{Kind: kindHTTPRoute, Namespace: "default", Name: "web"})
		if (why == "") != c.ok || (c.ok && len(rules) != 1) {
			t.Errorf("%d header names: rules %v, refusal %q; want accepted=%v", len(c.names), rules, why, c.ok)
		}
	}
}
