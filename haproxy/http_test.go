package haproxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// httpEcho answers every request with its own name, so a test sees which backend took it.
func httpEcho(t *testing.T, name string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, name)
	}))
	t.Cleanup(s.Close)
	return s
}

func httpServer(service string, s *httptest.Server, weight int32) model.Server {
	addr := s.Listener.Addr().(*net.TCPAddr)
	return model.Server{Service: service, Address: addr.IP.String(), Port: int32(addr.Port), Weight: weight}
}

// TestManagerServesHTTPAndHTTPS routes plain HTTP and HTTPS requests through a real HAProxy: host
// lookup with exact and wildcard names, exact and element-wise prefix paths, method and header
// matches in precedence order, weights, 500 for a rule without usable backends, 404 for unknown
// hosts; HTTPS with the listener's certificate, and TLS passthrough on the same port.
func TestManagerServesHTTPAndHTTPS(t *testing.T) {
	r := newRig(t)
	a, b := httpEcho(t, "a"), httpEcho(t, "b")
	cert, err := testtls.New("secure.example.com")
	if err != nil {
		t.Fatal(err)
	}
	httpPort, tlsPort := freeport.String(t), freeport.String(t)
	id := func(name string, rule int) model.BackendID {
		return model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: name, Rule: rule}
	}
	pass := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "pass"}
	prefix := func(path string, backend model.BackendID) model.HTTPRule {
		return model.HTTPRule{PathType: model.PathPrefix, Path: path, Backend: backend}
	}
	fooRules := []model.HTTPRule{
		{PathType: model.PathExact, Path: "/exact", Backend: id("web", 1)},
		{PathType: model.PathPrefix, Path: "/foo", Method: "GET", Headers: []model.HeaderMatch{{Name: "x-env", Value: "canary, blue"}}, Backend: id("web", 2)},
		prefix("/foo", id("web", 1)),
		prefix("/weighted", id("web", 3)),
		prefix("/broken", id("web", 4)),
		prefix("/", id("web", 0)),
	}
	dp := model.DataPlane{
		Sockets: []model.Socket{
			{Address: "127.0.0.1", Port: atoi32(httpPort), Gateway: "default/web", Protocol: model.SocketHTTP,
				VirtualHosts: []model.VirtualHost{
					{Hostname: "*.wild.example.com", Rules: []model.HTTPRule{prefix("/", id("web", 1))}},
					{Hostname: "foo.example.com", Rules: fooRules},
				}},
			{Address: "127.0.0.1", Port: atoi32(tlsPort), Gateway: "default/web", Protocol: model.SocketTLS,
				HTTPS:             []string{"secure.example.com"},
				HTTPSCertificates: []model.Certificate{{Namespace: "default", Name: "secure", SNIFilter: []string{"secure.example.com"}, CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}},
				Passthrough:       []*model.SNIRoute{{Hostname: "foo.example.com", Backend: pass}},
				VirtualHosts:      []model.VirtualHost{{Hostname: "secure.example.com", Rules: []model.HTTPRule{prefix("/", id("web", 1))}}}},
		},
		Backends: []*model.Backend{
			{ID: pass, Servers: []model.Server{server(r.passthrough)}},
			{ID: id("web", 0), HTTP: true, Servers: []model.Server{httpServer("svc-a", a, 1)}},
			{ID: id("web", 1), HTTP: true, Servers: []model.Server{httpServer("svc-b", b, 1)}},
			{ID: id("web", 2), HTTP: true, Servers: []model.Server{httpServer("svc-a", a, 1)}},
			{ID: id("web", 3), HTTP: true, Servers: []model.Server{httpServer("svc-a", a, 3), httpServer("svc-b", b, 1)}},
			{ID: id("web", 4), HTTP: true, UnresolvedWeight: 1, Servers: []model.Server{{Unresolved: true, Weight: 1}}},
		},
	}
	if res := r.apply(dp); res.Err != nil {
		t.Fatalf("apply: %+v", res)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	get := func(method, host, path string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://127.0.0.1:"+httpPort+path, nil)
		req.Host = host
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s%s: %v", method, host, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	canary := http.Header{"X-Env": {"canary, blue"}}
	for _, c := range []struct {
		method, host, path string
		header             http.Header
		status             int
		body               string
	}{
		{"GET", "foo.example.com", "/", nil, 200, "a"},
		{"GET", "FOO.example.com:" + httpPort, "/exact", nil, 200, "b"},
		{"GET", "foo.example.com", "/exact/more", nil, 200, "a"},
		{"GET", "foo.example.com", "/foo", nil, 200, "b"},
		{"GET", "foo.example.com", "/foo/bar", nil, 200, "b"},
		{"GET", "foo.example.com", "/foobar", nil, 200, "a"},
		{"GET", "foo.example.com", "/foo/bar", canary, 200, "a"},
		{"POST", "foo.example.com", "/foo/bar", canary, 200, "b"},
		{"GET", "foo.example.com", "/foo", http.Header{"X-Env": {"canary"}}, 200, "b"},
		{"GET", "foo.example.com", "/broken", nil, 500, ""},
		{"GET", "a.b.wild.example.com", "/anything", nil, 200, "b"},
		{"GET", "wild.example.com", "/", nil, 404, ""},
		{"GET", "unknown.example.com", "/", nil, 404, ""},
	} {
		status, body := get(c.method, c.host, c.path, c.header)
		if status != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s %s%s %v: got %d %q, want %d %q", c.method, c.host, c.path, c.header, status, body, c.status, c.body)
		}
	}

	// Weights 3:1 under round robin: exactly 30 of 40 requests go to a.
	counts := map[string]int{}
	for range 40 {
		_, body := get("GET", "foo.example.com", "/weighted", nil)
		counts[body]++
	}
	if counts["a"] != 30 || counts["b"] != 10 {
		t.Errorf("weights 3:1 gave %v", counts)
	}

	// HTTPS: the listener's certificate, then HTTP routing; passthrough on the same port.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cert.CertPEM)
	var served *x509.Certificate
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "secure.example.com", RootCAs: pool, VerifyConnection: func(s tls.ConnectionState) error {
		served = s.PeerCertificates[0]
		return nil
	}}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://127.0.0.1:"+tlsPort+"/x", nil)
	req.Host = "secure.example.com"
	resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "b" || served == nil || served.SerialNumber.Cmp(cert.Serial) != 0 {
		t.Errorf("HTTPS answered %d %q with serial %v; want 200 \"b\" behind the listener's certificate", resp.StatusCode, body, served)
	}
	foo, err := probe.TLS("127.0.0.1:"+tlsPort, "foo.example.com")
	if err != nil {
		t.Fatalf("passthrough: %v", err)
	}
	if foo.Greeting != echo.Greeting("foo-backend", true, "foo.example.com") {
		t.Errorf("passthrough answered %q", foo.Greeting)
	}
	if err := probe.Rejected("127.0.0.1:"+tlsPort, "unknown.example.com"); err != nil {
		t.Errorf("unknown name on the HTTPS port: %v", err)
	}
}
