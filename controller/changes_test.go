package controller

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

func TestTouchedNamesGatewaysAndRoutes(t *testing.T) {
	a := model.BackendID{Kind: "TLSRoute", Namespace: "app", Name: "a"}
	b := model.BackendID{Kind: "TLSRoute", Namespace: "app", Name: "b"}
	h := model.BackendID{Kind: "HTTPRoute", Namespace: "web", Name: "h"}
	base := func() model.DataPlane {
		return model.DataPlane{
			Sockets: []model.Socket{
				{Address: "10.0.0.1", Port: 443, Gateway: "infra/one", Protocol: model.SocketTLS,
					Passthrough: []*model.SNIRoute{{Hostname: "a.example.com", Backend: a}, {Hostname: "b.example.com", Backend: b}}},
				{Address: "10.0.0.2", Port: 80, Gateway: "infra/two", Protocol: model.SocketHTTP,
					VirtualHosts: []model.VirtualHost{{Hostname: "*", Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/", Backend: h}}}}},
			},
			// In the model's order, by ID.
			Backends: []*model.Backend{{ID: h, HTTP: true}, {ID: a, Servers: []model.Server{{Address: "10.244.0.1", Port: 1, Weight: 1}}}, {ID: b}},
		}
	}
	cases := []struct {
		name             string
		change           func(*model.DataPlane)
		gateways, routes []string
	}{
		{"nothing", func(*model.DataPlane) {}, nil, nil},
		{"an endpoint of a", func(dp *model.DataPlane) { dp.Backends[1].Servers[0].Address = "10.244.0.2" }, nil, []string{"TLSRoute app/a"}},
		{"b's hostname", func(dp *model.DataPlane) { dp.Sockets[0].Passthrough[1].Hostname = "c.example.com" }, []string{"infra/one"}, []string{"TLSRoute app/b"}},
		{"a route added between a and b", func(dp *model.DataPlane) {
			c := model.BackendID{Kind: "TLSRoute", Namespace: "app", Name: "c"}
			dp.Sockets[0].Passthrough = slices.Insert(dp.Sockets[0].Passthrough, 1, &model.SNIRoute{Hostname: "ab.example.com", Backend: c})
			dp.Backends = slices.Insert(dp.Backends, 2, &model.Backend{ID: c})
		}, []string{"infra/one"}, []string{"TLSRoute app/c"}},
		{"a backend added out of order", func(dp *model.DataPlane) {
			dp.Backends = append(dp.Backends, &model.Backend{ID: model.BackendID{Kind: "TLSRoute", Namespace: "app", Name: "c"}})
			dp.Backends[0].HTTP = false
		}, nil, []string{"HTTPRoute web/h", "TLSRoute app/c"}},
		{"a's hostname taken over by b", func(dp *model.DataPlane) { dp.Sockets[0].Passthrough[0].Backend = b }, []string{"infra/one"}, []string{"TLSRoute app/a", "TLSRoute app/b"}},
		{"h's path", func(dp *model.DataPlane) { dp.Sockets[1].VirtualHosts[0].Rules[0].Path = "/x" }, []string{"infra/two"}, []string{"HTTPRoute web/h"}},
		{"Gateway two gone", func(dp *model.DataPlane) {
			dp.Sockets = dp.Sockets[:1]
			dp.Backends = dp.Backends[1:]
		}, []string{"infra/two"}, []string{"HTTPRoute web/h"}},
	}
	for _, c := range cases {
		next := base()
		c.change(&next)
		gateways, routes := touched(base(), next)
		if !slices.Equal(gateways, c.gateways) || !slices.Equal(routes, c.routes) {
			t.Errorf("%s: gateways %q routes %q, want %q %q", c.name, gateways, routes, c.gateways, c.routes)
		}
	}
	// From nothing, everything is named.
	if gateways, routes := touched(model.DataPlane{}, base()); len(gateways) != 2 || len(routes) != 3 {
		t.Errorf("first apply: gateways %q routes %q", gateways, routes)
	}
}

func TestBoundedNames(t *testing.T) {
	var names []string
	for i := range 13 {
		names = append(names, fmt.Sprintf("r%02d", i))
	}
	if got, want := bounded(names), "r00, r01, r02, r03, r04, r05, r06, r07, r08, r09 and 3 more"; got != want {
		t.Errorf("bounded: %q, want %q", got, want)
	}
	if got := bounded(names[:2]); got != "r00, r01" {
		t.Errorf("bounded: %q", got)
	}
}

func TestSpareBackendsNamedInMetricsAndLog(t *testing.T) {
	m := NewMetrics()
	series := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		var lines []string
		for line := range strings.Lines(rec.Body.String()) {
			if strings.HasPrefix(line, "haproxy_gateway_spare_backend_route{") {
				lines = append(lines, strings.TrimSpace(line))
			}
		}
		return strings.Join(lines, "\n")
	}
	const a, b = `haproxy_gateway_spare_backend_route{route="tlsroute:app:a:rule0",spare="spare:3"} 1`, `haproxy_gateway_spare_backend_route{route="tlsroute:app:b:rule0",spare="spare:4"} 1`
	for _, step := range []struct {
		name   string
		spares map[string]string
		want   string
	}{
		{"a takes a spare", map[string]string{"tlsroute:app:a:rule0": "spare:3"}, a},
		{"b takes another", map[string]string{"tlsroute:app:a:rule0": "spare:3", "tlsroute:app:b:rule0": "spare:4"}, a + "\n" + b},
		{"a is deleted", map[string]string{"tlsroute:app:b:rule0": "spare:4"}, b},
		// After a reload no route sits in a spare: the series go.
		{"a reload", map[string]string{}, ""},
	} {
		m.observe(ApplyResult{Changed: true, Spares: step.spares}, time.Time{})
		if got := series(); got != step.want {
			t.Errorf("%s: series\n%s\nwant\n%s", step.name, got, step.want)
		}
	}
	if got := spareNames(map[string]string{"tlsroute:app:b:rule0": "spare:1", "tlsroute:app:a:rule0": "spare:3"}); got != "spare:1=tlsroute:app:b:rule0, spare:3=tlsroute:app:a:rule0" {
		t.Errorf("spareNames: %q", got)
	}
}

// TestTouchedComparesHTTPRuleValues: two builds give an HTTP rule's filters and timeouts new
// pointers; an unchanged rule is not reported.
func TestTouchedComparesHTTPRuleValues(t *testing.T) {
	plane := func() model.DataPlane {
		rule := model.HTTPRule{PathType: model.PathPrefix, Path: "/", Backend: model.BackendID{Kind: "HTTPRoute", Namespace: "ns", Name: "web"},
			Filters: &model.HTTPFilters{Redirect: &model.Redirect{Scheme: "https", StatusCode: 301}}}
		return model.DataPlane{Sockets: []model.Socket{{Address: "10.250.0.1", Port: 80, Gateway: "ns/gw", Protocol: model.SocketHTTP,
			VirtualHosts: []model.VirtualHost{{Hostname: "*", Listener: "http", Rules: []model.HTTPRule{rule}}}}}}
	}
	if _, routes := touched(plane(), plane()); len(routes) != 0 {
		t.Errorf("an unchanged HTTP rule is reported: %v", routes)
	}
	changed := plane()
	changed.Sockets[0].VirtualHosts[0].Rules[0].Filters = &model.HTTPFilters{Redirect: &model.Redirect{Scheme: "http", StatusCode: 301}}
	if _, routes := touched(plane(), changed); len(routes) != 1 {
		t.Errorf("a changed redirect is not reported: %v", routes)
	}
}
