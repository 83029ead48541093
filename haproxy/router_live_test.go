package haproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

func TestRouterLuaString(t *testing.T) {
	for in, want := range map[string]string{
		"":                   `""`,
		"/etc/haproxy/a.map": `"/etc/haproxy/a.map"`,
		`a"b\c`:              `"a\"b\\c"`,
		"new\nline\x00\x7f":  `"new\010line\000\127"`,
		"\x01" + "2":         `"\0012"`,
		"é":                  `"\195\169"`,
		"]]--[[ '#$%&{{ }}":  `"]]--[[ '#$%&{{ }}"`,
	} {
		if got := luaString(in); got != want {
			t.Errorf("luaString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRouterRenderSortsSockets(t *testing.T) {
	a, err := renderRouter("/b.map", []routerSocket{{ID: "s2", Routes: "/r2", Rules: "/u2"}, {ID: "s1", Routes: "/r1", Rules: "/u1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderRouter("/b.map", []routerSocket{{ID: "s1", Routes: "/r1", Rules: "/u1"}, {ID: "s2", Routes: "/r2", Rules: "/u2"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("the order of the sockets changes the file")
	}
	if i, j := strings.Index(string(a), `["s1"]`), strings.Index(string(a), `["s2"]`); i < 0 || j < i {
		t.Errorf("sockets not in ID order:\n%s", a)
	}
	if _, err := renderRouter("/b.map", []routerSocket{{ID: "s1"}, {ID: "s1"}}); err == nil {
		t.Errorf("two sockets with one ID rendered")
	}
}

// routerEcho is what the test backend answers: which HAProxy backend sent the request, and the
// request as it arrived.
type routerEcho struct {
	Backend string      `json:"backend"`
	URI     string      `json:"uri"`
	Host    string      `json:"host"`
	Header  http.Header `json:"header"`
}

// routerRig is a real HAProxy routing with the Lua router on maps in its folder.
type routerRig struct {
	stats, addr, tlsAddr string
	port, tlsPort        int
	routes, rules        string
	master               *Master
	client, tlsClient    *http.Client
}

const routerClaim = "l@a.example.com|"

// TestRouterLive runs the Lua router in HAProxy on maps that encodeRule filled, and sends requests.
func TestRouterLive(t *testing.T) {
	binary := haproxybin.Path(t)
	prefix := func(v string) *model.PathModifier {
		return &model.PathModifier{Type: model.ReplacePrefixMatch, Value: v}
	}
	full := func(v string) *model.PathModifier { return &model.PathModifier{Type: model.ReplaceFullPath, Value: v} }
	redirect := func(r model.Redirect) model.HTTPRule {
		return model.HTTPRule{Filters: &model.HTTPFilters{Redirect: &r}}
	}
	// Rules by ID with the route backend they send to ("" for redirects).
	type rule struct {
		r       model.HTTPRule
		backend string
	}
	rules := map[string]rule{
		"e-foo":    {model.HTTPRule{}, "route-a"},
		"p-foo":    {model.HTTPRule{}, "route-b"},
		"e-canary": {model.HTTPRule{Headers: []model.HeaderMatch{{Name: "X-Env", Value: "canary"}}}, "route-c"},
		"m-post":   {model.HTTPRule{Method: "POST"}, "route-a"},
		"any-b":    {model.HTTPRule{}, "route-b"},
		"h-two":    {model.HTTPRule{Headers: []model.HeaderMatch{{Name: "X-Version", Value: "b, c"}, {Name: "x-team", Value: "blue"}}}, "route-a"},
		"q-match":  {model.HTTPRule{QueryParams: []model.QueryParamMatch{{Name: "v", Value: "1 2"}, {Name: "K", Value: "x&y"}}}, "route-a"},
		"p-first":  {model.HTTPRule{Headers: []model.HeaderMatch{{Name: "x-a", Value: "1"}}}, "route-a"},
		"p-second": {model.HTTPRule{Headers: []model.HeaderMatch{{Name: "x-b", Value: "1"}}}, "route-b"},
		"r1":       {redirect(model.Redirect{Scheme: "https", StatusCode: 301}), ""},
		"r2":       {redirect(model.Redirect{StatusCode: 302}), ""},
		"r3":       {redirect(model.Redirect{Hostname: "other.example.com", Port: 80, StatusCode: 303}), ""},
		"r4":       {redirect(model.Redirect{Scheme: "http", Port: 8080, StatusCode: 307}), ""},
		"r5":       {redirect(model.Redirect{Path: prefix("/new"), StatusCode: 308}), ""},
		"r6":       {redirect(model.Redirect{Path: full("/full"), StatusCode: 302}), ""},
		"r7":       {redirect(model.Redirect{Scheme: "https", Port: 443, StatusCode: 302}), ""},
		"r8":       {redirect(model.Redirect{Path: prefix(""), StatusCode: 302}), ""},
		"r9":       {redirect(model.Redirect{Scheme: "http", StatusCode: 302}), ""},
		"rw":       {model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Hostname: "in.example.com", Path: prefix("/v2")}}}, "route-a"},
		"rw-root":  {model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Path: prefix("/")}}}, "route-a"},
		"rw-slash": {model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Path: prefix("/bar/")}}}, "route-a"},
		"rw-full":  {model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Path: full("/replaced")}}}, "route-a"},
		"rw-top":   {model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Path: prefix("/pre")}}}, "route-b"},
		"rq": {model.HTTPRule{Filters: &model.HTTPFilters{RequestHeaders: &model.HeaderModifier{
			Set: []model.HeaderValue{{Name: "x-set", Value: "new, value"}}, Add: []model.HeaderValue{{Name: "x-add", Value: "added"}}, Remove: []string{"x-remove"}}}}, "route-a"},
		"rs": {model.HTTPRule{Filters: &model.HTTPFilters{ResponseHeaders: &model.HeaderModifier{
			Set: []model.HeaderValue{{Name: "x-resp-set", Value: "new"}}, Add: []model.HeaderValue{{Name: "x-resp-add", Value: "a:b&c=d"}}, Remove: []string{"x-resp-remove"}}}}, "route-a"},
		"slow":    {model.HTTPRule{Timeouts: &model.HTTPTimeouts{BackendRequest: gwDuration("200ms")}}, "route-a"},
		"missing": {model.HTTPRule{}, "route-missing"},
		"deep":    {model.HTTPRule{}, "route-c"},
	}
	routes := map[string]string{
		"E/foo": "e-foo", "P/foo": "p-foo", "E/foo/bar": "e-canary",
		"P/m": "m-post,any-b", "P/h": "h-two,any-b", "P/q": "q-match,any-b", "P/p": "p-first,p-second",
		"E/r1": "r1", "E/r2": "r2", "E/r3": "r3", "E/r4": "r4", "P/r5": "r5", "E/r6": "r6", "E/r7": "r7", "P/r8": "r8", "E/r9": "r9",
		"P/rw": "rw", "P/rwroot": "rw-root", "P/rwslash": "rw-slash", "E/rwfull": "rw-full",
		"P/parts": "p-first,>", ">1P/parts": "p-second,>", ">2P/parts": "deep",
		"tiers": "2", "1P/tier": "any-b", "1P/foo/deeper": "deep",
		"P/rq": "rq", "P/rs": "rs", "P/slow": "slow", "P/missing": "missing", "P/d1/d2/d3": "deep",
	}
	routeMap := map[string]string{depthKey: "3"}
	for k, v := range routes {
		routeMap[routerClaim+k] = v
	}
	// Paths with the characters a routes map key writes as escapes (keyPath).
	routeMap[routerClaim+"E"+keyPath("/x;y='z'")] = "e-foo"
	routeMap[routerClaim+"P"+keyPath("/pct%20a;b")] = "p-foo"
	// Host b.example.com: one PathPrefix "/" rule.
	routeMap["l@b.example.com|P/"] = "rw-top"
	ruleMap := map[string]string{}
	for id, r := range rules {
		ruleMap[id] = encodeRule(r.r, r.backend)
	}
	r := startRouterRig(t, binary, routeMap, ruleMap)
	// The listener ports haproxy.cfg gives the router.
	port, tlsPort := "8081", "8444"

	type want struct {
		status   int
		backend  string
		uri      string
		host     string
		location string
	}
	cases := []struct {
		name, method, host, target string
		tls                        bool
		header                     http.Header
		want                       want
		check                      func(t *testing.T, e routerEcho, res *http.Response)
	}{
		{name: "exact beats prefix", target: "/foo", want: want{backend: "a"}},
		{name: "prefix takes a trailing slash", target: "/foo/", want: want{backend: "b"}},
		{name: "prefix takes a segment below", target: "/foo/baz/qux?x=1", want: want{backend: "b", uri: "/foo/baz/qux?x=1"}},
		{name: "prefix matches whole segments", target: "/foobar", want: want{status: 404}},
		{name: "exact rule whose header does not match falls through to the prefix", target: "/foo/bar", want: want{backend: "b"}},
		{name: "exact rule with its header", target: "/foo/bar", header: http.Header{"X-Env": {"canary"}}, want: want{backend: "c"}},
		{name: "exact rule, header value differs", target: "/foo/bar", header: http.Header{"X-Env": {"Canary"}}, want: want{backend: "b"}},
		{name: "method", method: "POST", target: "/m", want: want{backend: "a"}},
		{name: "other method", target: "/m/x", want: want{backend: "b"}},
		{name: "header among several occurrences, with a comma", target: "/h",
			header: http.Header{"X-Version": {"a", "b, c"}, "X-Team": {"blue"}}, want: want{backend: "a"}},
		{name: "header values are not split at commas", target: "/h",
			header: http.Header{"X-Version": {"a, b, c"}, "X-Team": {"blue"}}, want: want{backend: "b"}},
		{name: "one header of two", target: "/h", header: http.Header{"X-Version": {"b, c"}}, want: want{backend: "b"}},
		{name: "query parameters, percent-decoded", target: "/q?v=1%202&K=x%26y", want: want{backend: "a", uri: "/q?v=1%202&K=x%26y"}},
		{name: "first occurrence of a query parameter", target: "/q?v=1%202&v=3&K=x%26y", want: want{backend: "a"}},
		{name: "a later occurrence does not count", target: "/q?v=3&v=1%202&K=x%26y", want: want{backend: "b"}},
		{name: "query parameter names are case-sensitive", target: "/q?v=1%202&k=x%26y", want: want{backend: "b"}},
		{name: "plus is not a space", target: "/q?v=1+2&K=x%26y", want: want{backend: "b"}},
		{name: "precedence within a list", target: "/p", header: http.Header{"X-A": {"1"}, "X-B": {"1"}}, want: want{backend: "a"}},
		{name: "second of a list", target: "/p", header: http.Header{"X-B": {"1"}}, want: want{backend: "b"}},
		{name: "none of a list", target: "/p", want: want{status: 404}},
		{name: "a list in parts: the first part", target: "/parts", header: http.Header{"X-A": {"1"}}, want: want{backend: "a"}},
		{name: "a list in parts: the second part", target: "/parts", header: http.Header{"X-B": {"1"}}, want: want{backend: "b"}},
		{name: "a list in parts: the last part", target: "/parts/x", want: want{backend: "c"}},
		{name: "no request path reaches a part of a list", target: "/parts>1", header: http.Header{"X-B": {"1"}}, want: want{status: 404}},
		{name: "the second tier takes what the first leaves", target: "/tier/x", want: want{backend: "b"}},
		{name: "the first tier's shorter prefix beats the second tier's longer one", target: "/foo/deeper", want: want{backend: "b"}},
		{name: "redirect to a scheme", target: "/r1?x=1", want: want{status: 301, location: "https://a.example.com/r1?x=1"}},
		{name: "redirect keeps the listener port", host: "A.Example.com:1234", target: "/r2", want: want{status: 302, location: "http://a.example.com:" + port + "/r2"}},
		{name: "redirect to port 80 of http", target: "/r3", want: want{status: 303, location: "http://other.example.com/r3"}},
		{name: "redirect to a port", target: "/r4", want: want{status: 307, location: "http://a.example.com:8080/r4"}},
		{name: "redirect replacing the prefix", target: "/r5/x?y=1", want: want{status: 308, location: "http://a.example.com:" + port + "/new/x?y=1"}},
		{name: "redirect replacing the prefix of the prefix itself", target: "/r5", want: want{status: 308, location: "http://a.example.com:" + port + "/new"}},
		{name: "redirect to a full path", target: "/r6?", want: want{status: 302, location: "http://a.example.com:" + port + "/full?"}},
		{name: "redirect to port 443 of https", target: "/r7", want: want{status: 302, location: "https://a.example.com/r7"}},
		{name: "redirect removing the prefix", target: "/r8/", want: want{status: 302, location: "http://a.example.com:" + port + "/"}},
		{name: "redirect over TLS keeps the listener port", tls: true, target: "/r2", want: want{status: 302, location: "https://a.example.com:" + tlsPort + "/r2"}},
		{name: "redirect over TLS to port 443", tls: true, target: "/r7", want: want{status: 302, location: "https://a.example.com/r7"}},
		{name: "redirect from TLS to http", tls: true, target: "/r9?a=b", want: want{status: 302, location: "http://a.example.com/r9?a=b"}},
		{name: "routing over TLS", tls: true, target: "/foo/x", want: want{backend: "b"}},
		{name: "rewrite host and prefix", target: "/rw/x?k=1", want: want{backend: "a", uri: "/v2/x?k=1", host: "in.example.com"}},
		{name: "rewrite prefix with a trailing slash", target: "/rw/", want: want{backend: "a", uri: "/v2/"}},
		{name: "rewrite prefix to the root", target: "/rwroot/bar", want: want{backend: "a", uri: "/bar"}},
		{name: "rewrite the whole prefix to the root", target: "/rwroot", want: want{backend: "a", uri: "/"}},
		{name: "rewrite prefix to one ending in a slash", target: "/rwslash/x", want: want{backend: "a", uri: "/bar/x"}},
		{name: "rewrite the full path", target: "/rwfull?z=1", want: want{backend: "a", uri: "/replaced?z=1"}},
		{name: "rewrite under the root prefix", host: "b.example.com", target: "/x/y", want: want{backend: "b", uri: "/pre/x/y", host: "b.example.com"}},
		{name: "request headers", target: "/rq",
			header: http.Header{"X-Set": {"old", "older"}, "X-Add": {"orig"}, "X-Remove": {"r"}}, want: want{backend: "a"},
			check: func(t *testing.T, e routerEcho, _ *http.Response) {
				if got := e.Header["X-Set"]; !slices.Equal(got, []string{"new, value"}) {
					t.Errorf("x-set %q", got)
				}
				if got := e.Header["X-Add"]; !slices.Equal(got, []string{"orig", "added"}) {
					t.Errorf("x-add %q", got)
				}
				if got, ok := e.Header["X-Remove"]; ok {
					t.Errorf("x-remove %q", got)
				}
			}},
		{name: "response headers", target: "/rs", want: want{backend: "a"},
			check: func(t *testing.T, _ routerEcho, res *http.Response) {
				if got := res.Header["X-Resp-Set"]; !slices.Equal(got, []string{"new"}) {
					t.Errorf("x-resp-set %q", got)
				}
				if got := res.Header["X-Resp-Add"]; !slices.Equal(got, []string{"orig", "a:b&c=d"}) {
					t.Errorf("x-resp-add %q", got)
				}
				if got, ok := res.Header["X-Resp-Remove"]; ok {
					t.Errorf("x-resp-remove %q", got)
				}
			}},
		{name: "the next request on the connection keeps its response headers", target: "/foo", want: want{backend: "a"},
			check: func(t *testing.T, _ routerEcho, res *http.Response) {
				if got := res.Header["X-Resp-Set"]; !slices.Equal(got, []string{"orig"}) {
					t.Errorf("x-resp-set %q", got)
				}
				if got := res.Header["X-Resp-Remove"]; !slices.Equal(got, []string{"yes"}) {
					t.Errorf("x-resp-remove %q", got)
				}
			}},
		{name: "a server slower than the rule's timeout", target: "/slow?delay=1s", want: want{status: 504}},
		{name: "a server within the rule's timeout", target: "/slow?delay=10ms", want: want{backend: "a"}},
		{name: "a rule without a timeout waits", target: "/foo/x?delay=400ms", want: want{backend: "b"}},
		{name: "backend missing from the backends map", target: "/missing/x", want: want{status: 500}},
		{name: "no rule", target: "/nothing", want: want{status: 404}},
		{name: "unknown host", host: "c.example.com", target: "/foo", want: want{status: 404}},
		{name: "a prefix as deep as the map says", target: "/d1/d2/d3/d4/d5", want: want{backend: "c"}},
		{name: "not deeper", target: "/d1/d2", want: want{status: 404}},
		{name: "an exact path with ; and '", target: "/x;y='z'", want: want{backend: "a"}},
		{name: "the same path with ; escaped is another path", target: "/x%3By='z'", want: want{status: 404}},
		{name: "a prefix with % and ;", target: "/pct%20a;b/more", want: want{backend: "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			send := r.send
			if c.tls {
				send = r.sendTLS
			}
			res, e := send(t, c.method, c.host, c.target, c.header)
			w := c.want
			if w.status == 0 {
				w.status = 200
			}
			if res.StatusCode != w.status {
				t.Fatalf("status %d, want %d (%+v)", res.StatusCode, w.status, e)
			}
			if w.backend != "" && e.Backend != w.backend {
				t.Errorf("backend %q, want %q", e.Backend, w.backend)
			}
			if w.uri != "" && e.URI != w.uri {
				t.Errorf("backend got %q, want %q", e.URI, w.uri)
			}
			if w.backend != "" && w.uri == "" && e.URI != c.target {
				t.Errorf("backend got %q, want it unchanged", e.URI)
			}
			if w.host != "" && e.Host != w.host {
				t.Errorf("backend got host %q, want %q", e.Host, w.host)
			}
			if got := res.Header.Get("Location"); got != w.location {
				t.Errorf("location %q, want %q", got, w.location)
			}
			if w.location != "" && (len(res.Header["Content-Length"]) != 1 || res.Header.Get("Content-Length") != "0") {
				t.Errorf("redirect content-length %q", res.Header["Content-Length"])
			}
			if c.check != nil {
				c.check(t, e, res)
			}
		})
	}

	// Runtime API edits change the routing at once, with the same worker.
	workers, _, err := r.master.Workers()
	if err != nil {
		t.Fatal(err)
	}
	r.cli(t, "add map "+r.rules+" rt-new "+encodeRule(model.HTTPRule{Method: "GET"}, "route-c"))
	r.cli(t, "add map "+r.routes+" "+routerClaim+"P/new rt-new")
	r.expect(t, "/new/x", 200, "c")
	r.cli(t, "set map "+r.routes+" "+routerClaim+"E/foo rt-new")
	r.expect(t, "/foo", 200, "c")
	r.cli(t, "set map "+r.rules+" rt-new "+encodeRule(model.HTTPRule{Headers: []model.HeaderMatch{{Name: "x", Value: "#; \\'"}}}, "route-a"))
	r.expect(t, "/new", 404, "")
	res, e := r.send(t, "", "", "/new", http.Header{"X": {"#; \\'"}})
	if res.StatusCode != 200 || e.Backend != "a" {
		t.Errorf("after set map of the rule: %d %+v", res.StatusCode, e)
	}
	r.cli(t, "del map "+r.routes+" "+routerClaim+"P/new")
	r.expect(t, "/new/x", 404, "")
	// A deeper prefix than the map's depth is found once the depth follows.
	r.cli(t, "add map "+r.routes+" "+routerClaim+"P/d1/d2/d3/d4 any-b")
	r.expect(t, "/d1/d2/d3/d4/d5", 200, "c")
	r.cli(t, "set map "+r.routes+" "+depthKey+" 4")
	r.expect(t, "/d1/d2/d3/d4/d5", 200, "b")
	if now, _, err := r.master.Workers(); err != nil || !slices.Equal(now, workers) {
		t.Errorf("workers %v, then %v (%v): want no reload", workers, now, err)
	}
}

// startRouterRig writes the maps, the Lua router and haproxy.cfg into a new folder and starts
// HAProxy on them, with a Go backend that echoes requests as JSON (after the time a "delay" query
// parameter names) behind three backend sections, each with the server timeout rule of route
// backends.
func startRouterRig(t *testing.T, binary string, routeMap, ruleMap map[string]string) *routerRig {
	t.Helper()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if d, err := time.ParseDuration(req.URL.Query().Get("delay")); err == nil {
			time.Sleep(d)
		}
		w.Header().Set("X-Resp-Set", "orig")
		w.Header().Set("X-Resp-Add", "orig")
		w.Header().Set("X-Resp-Remove", "yes")
		_ = json.NewEncoder(w).Encode(routerEcho{Backend: req.Header.Get("X-Test-Backend"), URI: req.RequestURI, Host: req.Host, Header: req.Header})
	}))
	t.Cleanup(echo.Close)
	// The stats and master sockets need a short path.
	dir, err := os.MkdirTemp("", "hg-router")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ports, err := freeport.Ports(2)
	if err != nil {
		t.Fatal(err)
	}
	r := &routerRig{stats: filepath.Join(dir, "stats.sock"), port: ports[0], tlsPort: ports[1],
		routes: filepath.Join(dir, "routes-s1.map"), rules: filepath.Join(dir, "rules-s1.map")}
	r.addr, r.tlsAddr = "127.0.0.1:"+strconv.Itoa(r.port), "127.0.0.1:"+strconv.Itoa(r.tlsPort)
	cert, err := testtls.New("a.example.com")
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(dir, "a.pem")
	if err := os.WriteFile(certPath, append(slices.Clone(cert.CertPEM), cert.KeyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	backendsMap := filepath.Join(dir, "backends.map")
	// A second socket with a hard name and map paths only checks that the file loads.
	odd := routerSocket{ID: "s\"2\n\\é", Routes: filepath.Join(dir, "routes \"2\" é.map"), Rules: filepath.Join(dir, "rules 2\\.map")}
	writeTestMap(t, r.routes, routeMap)
	writeTestMap(t, r.rules, ruleMap)
	writeTestMap(t, odd.Routes, nil)
	writeTestMap(t, odd.Rules, nil)
	writeTestMap(t, backendsMap, map[string]string{"route-a": "be_a", "route-b": "be_b", "route-c": "be_c"})
	hosts := filepath.Join(dir, "hosts.map")
	writeTestMap(t, hosts, map[string]string{"a.example.com": "l@a.example.com", "b.example.com": "l@b.example.com"})
	lua, err := renderRouter(backendsMap, []routerSocket{odd, {ID: "s1", Routes: r.routes, Rules: r.rules}})
	if err != nil {
		t.Fatal(err)
	}
	luaPath := filepath.Join(dir, "router.lua")
	if err := os.WriteFile(luaPath, lua, 0o600); err != nil {
		t.Fatal(err)
	}
	echoAddr := strings.TrimPrefix(echo.URL, "http://")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `global
    nbthread 2
    lua-load-per-thread %s
    stats socket %s level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend f
    bind %s
    bind %s ssl crt %s
    http-request set-var(txn.hostclaim) req.hdr(host),lower,regsub(:[0-9]*$,),map(%s)
    # The listener ports differ from the ports bound, as behind a Service per Gateway: redirects
    # keep the listener's.
    http-request lua.http-route s1 8081 if !{ ssl_fc }
    http-request lua.http-route s1 8444 if { ssl_fc }
    use_backend %%[var(txn.backend)] if { var(txn.backend) -m found }
    default_backend notfound
    http-response lua.http-response-filters
backend notfound
    http-request return status 404
`, luaPath, r.stats, r.addr, r.tlsAddr, certPath, hosts)
	for _, name := range []string{"a", "b", "c"} {
		fmt.Fprintf(&cfg, "backend be_%s\n    http-request set-header x-test-backend %s\n    %s\n    server s %s\n", name, name, serverTimeoutRule, echoAddr)
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CheckConfig(ctx, binary, cfgPath); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, cfg.String(), lua)
	}
	r.master, err = StartMaster(ctx, binary, cfgPath, filepath.Join(dir, "master.sock"), testWriter{t: t})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.master.Stop)
	r.client = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(cert.CertPEM)
	r.tlsClient = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "a.example.com"}}}
	t.Cleanup(r.client.CloseIdleConnections)
	t.Cleanup(r.tlsClient.CloseIdleConnections)
	return r
}

// writeTestMap writes a map file, lines sorted by key.
func writeTestMap(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		fmt.Fprintf(&b, "%s %s\n", k, entries[k])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// send makes one request (GET when method is "", to a.example.com when host is "") and reads
// what the backend echoed, if the request reached one.
func (r *routerRig) send(t *testing.T, method, host, target string, header http.Header) (*http.Response, routerEcho) {
	t.Helper()
	return r.do(t, r.client, "http://"+r.addr, method, host, target, header)
}

// sendTLS is send over TLS.
func (r *routerRig) sendTLS(t *testing.T, method, host, target string, header http.Header) (*http.Response, routerEcho) {
	t.Helper()
	return r.do(t, r.tlsClient, "https://"+r.tlsAddr, method, host, target, header)
}

func (r *routerRig) do(t *testing.T, client *http.Client, base, method, host, target string, header http.Header) (*http.Response, routerEcho) {
	t.Helper()
	if method == "" {
		method = http.MethodGet
	}
	if host == "" {
		host = "a.example.com"
	}
	req, err := http.NewRequest(method, base+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e routerEcho
	if res.StatusCode == 200 {
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("echo %q: %v", body, err)
		}
	}
	return res, e
}

func (r *routerRig) expect(t *testing.T, target string, status int, backend string) {
	t.Helper()
	res, e := r.send(t, "", "", target, nil)
	if res.StatusCode != status || e.Backend != backend {
		t.Errorf("%s: %d from %q, want %d from %q", target, res.StatusCode, e.Backend, status, backend)
	}
}

// cli runs one command on the stats socket, which answers an empty line when it did it.
func (r *routerRig) cli(t *testing.T, command string) {
	t.Helper()
	out, err := CLICommand(r.stats, command)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("%s: %q, %v", command, out, err)
	}
}
