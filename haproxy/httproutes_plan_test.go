package haproxy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// withHTTPRule adds a rule to the first virtual host of withHTTP's socket.
func withHTTPRule(r model.HTTPRule) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		vh := &dp.Sockets[len(dp.Sockets)-1].VirtualHosts[0]
		vh.Rules = append(vh.Rules, r)
	}
}

// withHTTPRoute adds an HTTPRoute "name" with one prefix rule on web.example.com and one server.
func withHTTPRoute(name, path, address string) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: name}
		withHTTPRule(model.HTTPRule{PathType: model.PathPrefix, Path: path, Backend: id})(dp)
		dp.Backends = append(dp.Backends, &model.Backend{ID: id, HTTP: true,
			Servers: []model.Server{{Service: name, Address: address, Port: 3000, Weight: 1}}})
	}
}

// gwDuration is a Gateway API duration as the build reads it.
func gwDuration(d string) *metav1.Duration {
	v, err := syntax.Timeout(d)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: v}
}

// Plan tables for HTTP routing: withHTTP's socket routes web.example.com through maps, so adding,
// changing and removing HTTPRoutes is map entries and spare backends, never a reload.
func TestPlanHTTPRoutes(t *testing.T) {
	http := plane(withHTTP()).Sockets[1]
	stem := fileStem(http)
	routes, rules := httpMapPaths("/d", stem)
	runPlanCases(t, []planCase{
		{
			name: "an HTTPRoute added: a spare serves its backend, then the map entries that lead to it",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.1"), withHTTPRoute("api", "/api", "10.244.3.1")),
			commands: []string{
				"add server http-spare:0/httproute:default:api:rule0:api:10.244.3.1:3000 10.244.3.1:3000 weight 1",
				"set server http-spare:0/httproute:default:api:rule0:api:10.244.3.1:3000 state ready",
				"add map /d/maps/http-backends.map httproute:default:api:rule0 http-spare:0",
				"add map " + rules + " httproute:default:api:rule0/0 b=httproute%3Adefault%3Aapi%3Arule0",
				"add map " + routes + " @web.example.com|P/api httproute:default:api:rule0/0",
			},
		},
		{
			name: "an HTTPRoute removed: the entries that lead to its rule, then the rule, then its backend's entry, then its servers",
			from: plane(withHTTP("10.244.2.1"), withHTTPRoute("api", "/api", "10.244.3.1")), to: plane(withHTTP("10.244.2.1")),
			commands: []string{
				"del map " + routes + " @web.example.com|P/api",
				"del map " + rules + " httproute:default:api:rule0/0",
				"del map /d/maps/http-backends.map httproute:default:api:rule0",
				"set server httproute:default:api:rule0/api:10.244.3.1:3000 state maint",
				"shutdown sessions server httproute:default:api:rule0/api:10.244.3.1:3000",
				"del server httproute:default:api:rule0/api:10.244.3.1:3000",
			},
		},
		{
			name: "a path and a header match changed: one rule's entries",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				r := &dp.Sockets[1].VirtualHosts[0].Rules[0]
				r.Path, r.Headers = "/v2", []model.HeaderMatch{{Name: "x-team", Value: "a b"}}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 b=httproute%3Adefault%3Aweb%3Arule0&h=x-team:a%20b",
				"add map " + routes + " @web.example.com|P/v2 httproute:default:web:rule0/0",
				"del map " + routes + " @web.example.com|P/app",
			},
		},
		{
			name: "timeouts: the shorter of request and backendRequest becomes the rule's server timeout, in milliseconds",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				dp.Sockets[1].VirtualHosts[0].Rules[0].Timeouts = &model.HTTPTimeouts{Request: gwDuration("1m30s"), BackendRequest: gwDuration("500ms")}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 b=httproute%3Adefault%3Aweb%3Arule0&ts=500",
			},
		},
		{
			name: "a timeout removed",
			from: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				dp.Sockets[1].VirtualHosts[0].Rules[0].Timeouts = &model.HTTPTimeouts{Request: gwDuration("2s")}
			}),
			to: plane(withHTTP("10.244.2.1")),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 b=httproute%3Adefault%3Aweb%3Arule0",
			},
		},
		{
			name: "a timeout of 0s: the longest HAProxy keeps",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				dp.Sockets[1].VirtualHosts[0].Rules[0].Timeouts = &model.HTTPTimeouts{Request: gwDuration("0s")}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 b=httproute%3Adefault%3Aweb%3Arule0&ts=2147483647",
			},
		},
		{
			name: "0s beside a limit: the limit",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				r := &dp.Sockets[1].VirtualHosts[0].Rules[0]
				r.Method = "GET"
				r.Timeouts = &model.HTTPTimeouts{Request: gwDuration("3s"), BackendRequest: gwDuration("0s")}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 b=httproute%3Adefault%3Aweb%3Arule0&m=GET&ts=3000",
			},
		},
		{
			name: "a redirect with a timeout: no backend, so no timeout",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				r := &dp.Sockets[1].VirtualHosts[0].Rules[0]
				r.Filters = &model.HTTPFilters{Redirect: &model.Redirect{Scheme: "https", StatusCode: 301}}
				r.Timeouts = &model.HTTPTimeouts{Request: gwDuration("1s")}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 rd=301&rds=https",
			},
		},
		{
			name: "a redirect filter: the rule answers itself",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				dp.Sockets[1].VirtualHosts[0].Rules[0].Filters = &model.HTTPFilters{Redirect: &model.Redirect{Scheme: "https", StatusCode: 301}}
			}),
			commands: []string{
				"set map " + rules + " httproute:default:web:rule0/0 rd=301&rds=https",
			},
		},
		{
			name: "a backendRef that cannot be used beside a usable one: a server answering 500 takes its share",
			from: plane(withHTTP("10.244.2.1")),
			to: plane(withHTTP("10.244.2.1"), func(dp *model.DataPlane) {
				b := dp.Backends[2]
				b.UnresolvedWeight = 1
				b.Servers = append(b.Servers, model.Server{Unresolved: true, Weight: 1})
			}),
			commands: []string{
				"add server httproute:default:web:rule0/unresolved-backendrefs unix@/r/http-500.sock weight 1",
				"set server httproute:default:web:rule0/unresolved-backendrefs state ready",
			},
		},
	})
}

// withHTTPRoutes adds n HTTPRoutes "r<i>" with prefix "/r<i>" on web.example.com.
func withHTTPRoutes(n int) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		for i := range n {
			withHTTPRoute(fmt.Sprintf("r%02d", i), fmt.Sprintf("/r%02d", i), fmt.Sprintf("10.244.4.%d", i+1))(dp)
		}
	}
}

// TestPlanManyHTTPRoutesRemoved: maps with many changes are replaced whole, and still in the order
// that never lets an entry lead to one that is gone: the routes map loses the routes' paths first,
// then the rules map its rules, then the HTTP backends map the backends, then the servers go.
func TestPlanManyHTTPRoutesRemoved(t *testing.T) {
	http := plane(withHTTP()).Sockets[1]
	routes, rules := httpMapPaths("/d", fileStem(http))
	from := plane(withHTTP("10.244.2.1"), withHTTPRoutes(40))
	p := PlanChange(Started(mustRender(t, from)), mustRender(t, plane(withHTTP("10.244.2.1"))))
	if p.Reload {
		t.Fatalf("reload: %v", p.Reasons)
	}
	var maps []string
	for _, op := range p.Ops {
		switch op.Kind {
		case ReplaceMap, AddMapEntry, SetMapEntry, DelMapEntry:
			maps = append(maps, op.Command())
		}
	}
	want := []string{
		fmt.Sprintf("prepare map %s; add map @<version> %s <<(2 entries); commit map @<version> %s", routes, routes, routes),
		fmt.Sprintf("prepare map %s; add map @<version> %s <<(1 entries); commit map @<version> %s", rules, rules, rules),
		"prepare map /d/maps/http-backends.map; add map @<version> /d/maps/http-backends.map <<(1 entries); commit map @<version> /d/maps/http-backends.map",
	}
	if !slices.Equal(maps, want) {
		t.Errorf("map commands:\n  %s\nwant:\n  %s", strings.Join(maps, "\n  "), strings.Join(want, "\n  "))
	}
	if last := p.Ops[len(p.Ops)-1]; last.Kind != DelServer {
		t.Errorf("the last op is %s, want the servers deleted after the maps", last.Command())
	}
}

func mustRender(t *testing.T, dp model.DataPlane) *Config {
	t.Helper()
	cfg, err := Render(dp, planSettings)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
