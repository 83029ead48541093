package haproxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"golang.org/x/net/websocket"
)

// teamEcho answers with its name and the x-team header it received, after the time a "delay"
// query parameter names; on a path ending in /ws, it echoes WebSocket messages.
func teamEcho(t *testing.T, name string) *httptest.Server {
	ws := websocket.Handler(func(c *websocket.Conn) { _, _ = io.Copy(c, c) })
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ws") {
			ws.ServeHTTP(w, r)
			return
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
			time.Sleep(d)
		}
		fmt.Fprintf(w, "%s team=%s", name, r.Header.Get("X-Team"))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestNoReloadHTTPRoutes drives a real HAProxy through HTTPRoute changes (a route added, a
// hostname added, a path changed, weights, a request header filter, timeouts, a redirect, a
// backendRef that cannot be used, the route deleted) and checks after each that requests go where the routes say
// and the worker PID did not change.
func TestNoReloadHTTPRoutes(t *testing.T) {
	r := newRig(t)
	a, b := teamEcho(t, "a"), teamEcho(t, "b")
	port := freeport.String(t)
	webID := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web"}
	apiID := model.BackendID{Kind: "HTTPRoute", Namespace: "team-b", Name: "api"}
	// routes is the socket with web on web.example.com "/", and api's rule on its hostnames.
	routes := func(apiHosts []string, api *model.HTTPRule, backends ...*model.Backend) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Protocol: model.SocketHTTP,
			Listeners: []model.ListenerClaim{{Listener: "http", Hostname: "*", Mode: model.ListenerHTTP}}}
		web := model.HTTPRule{PathType: model.PathPrefix, Path: "/", Backend: webID}
		for _, h := range []string{"api.example.com", "web.example.com"} {
			vh := model.VirtualHost{Hostname: h, Listener: "http"}
			for _, ah := range apiHosts {
				if ah == h && api != nil {
					vh.Rules = append(vh.Rules, *api)
				}
			}
			if h == "web.example.com" {
				vh.Rules = append(vh.Rules, web)
			}
			if len(vh.Rules) > 0 {
				sock.VirtualHosts = append(sock.VirtualHosts, vh)
			}
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends}
	}
	webBackend := model.Backend{ID: webID, HTTP: true, Servers: []model.Server{httpServer("a", a, 1)}}
	apiBackend := model.Backend{ID: apiID, HTTP: true, Servers: []model.Server{httpServer("b", b, 1)}}
	api := model.HTTPRule{PathType: model.PathPrefix, Path: "/api", Backend: apiID}

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	expect := func(step, host, path string, status int, body string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+path, nil)
		req.Host = host
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: GET %s%s: %v", step, host, path, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 301 {
			got = []byte(res.Header.Get("Location"))
		}
		if res.StatusCode != status || (body != "" && string(got) != body) {
			t.Errorf("%s: GET %s%s answered %d %q, want %d %q", step, host, path, res.StatusCode, got, status, body)
		}
	}

	if res := r.apply(routes(nil, nil, &webBackend)); res.Err != nil {
		t.Fatalf("first configuration: %+v", res)
	}
	expect("web alone", "web.example.com", "/api", 200, "a team=")

	r.applyWithoutReload("api added", routes([]string{"web.example.com"}, &api, &apiBackend, &webBackend))
	expect("api added", "web.example.com", "/api/x", 200, "b team=")
	expect("api added", "web.example.com", "/apix", 200, "a team=")
	expect("api added", "api.example.com", "/api", 404, "")

	both := []string{"api.example.com", "web.example.com"}
	r.applyWithoutReload("api's hostname added", routes(both, &api, &apiBackend, &webBackend))
	expect("hostname added", "api.example.com", "/api", 200, "b team=")

	moved := api
	moved.Path = "/v2"
	r.applyWithoutReload("api's path changed", routes(both, &moved, &apiBackend, &webBackend))
	expect("path changed", "web.example.com", "/api", 200, "a team=")
	expect("path changed", "web.example.com", "/v2/items", 200, "b team=")

	weighted := apiBackend
	weighted.Servers = []model.Server{httpServer("a", a, 1), httpServer("b", b, 3)}
	r.applyWithoutReload("api's weights changed", routes(both, &moved, &weighted, &webBackend))
	counts := map[string]int{}
	for range 40 {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/v2", nil)
		req.Host = "api.example.com"
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		counts[string(body)]++
	}
	if counts["a team="] != 10 || counts["b team="] != 30 {
		t.Errorf("weights 1:3 gave %v", counts)
	}

	filtered := moved
	filtered.Filters = &model.HTTPFilters{RequestHeaders: &model.HeaderModifier{Set: []model.HeaderValue{{Name: "x-team", Value: "blue"}}}}
	r.applyWithoutReload("a request header filter", routes(both, &filtered, &apiBackend, &webBackend))
	expect("header filter", "api.example.com", "/v2", 200, "b team=blue")

	// The route was added after the last reload: a spare serves it, so the spare applies its
	// timeout too.
	timed := moved
	timed.Timeouts = &model.HTTPTimeouts{Request: gwDuration("2s"), BackendRequest: gwDuration("300ms")}
	r.applyWithoutReload("a backend request timeout", routes(both, &timed, &apiBackend, &webBackend))
	expect("timeout", "api.example.com", "/v2?delay=1s", 504, "")
	expect("timeout", "api.example.com", "/v2?delay=10ms", 200, "b team=")
	expect("timeout", "web.example.com", "/?delay=1s", 200, "a team=")
	// A WebSocket opened through the rule is a tunnel once upgraded: the rule's timeout limited
	// the wait for the upgrade's response, not the quiet times of the connection.
	conf, err := websocket.NewConfig("ws://api.example.com/v2/ws", "http://api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.NewClient(conf, conn)
	if err != nil {
		t.Fatalf("WebSocket through a rule with a timeout: %v", err)
	}
	time.Sleep(time.Second)
	var reply string
	if err := websocket.Message.Send(ws, "after a quiet second"); err != nil {
		t.Errorf("WebSocket send after a quiet second: %v", err)
	} else if err := websocket.Message.Receive(ws, &reply); err != nil || reply != "after a quiet second" {
		t.Errorf("WebSocket echo after a quiet second: %q, %v", reply, err)
	}
	ws.Close()
	timed.Timeouts = &model.HTTPTimeouts{Request: gwDuration("0s")}
	r.applyWithoutReload("the timeout disabled", routes(both, &timed, &apiBackend, &webBackend))
	expect("timeout disabled", "api.example.com", "/v2?delay=1s", 200, "b team=")

	redirected := moved
	redirected.Filters = &model.HTTPFilters{Redirect: &model.Redirect{Scheme: "https", StatusCode: 301}}
	r.applyWithoutReload("a redirect", routes(both, &redirected, &apiBackend, &webBackend))
	expect("redirect", "api.example.com:"+port, "/v2/x?q=1", 301, "https://api.example.com/v2/x?q=1")

	unresolved := apiBackend
	unresolved.UnresolvedWeight = 1
	unresolved.Servers = []model.Server{{Unresolved: true, Weight: 1}}
	r.applyWithoutReload("api's backendRef cannot be used", routes(both, &moved, &unresolved, &webBackend))
	expect("unusable backendRef", "api.example.com", "/v2", 500, "")

	r.applyWithoutReload("api deleted", routes(nil, nil, &webBackend))
	expect("api deleted", "web.example.com", "/v2", 200, "a team=")
	expect("api deleted", "api.example.com", "/v2", 404, "")
}
