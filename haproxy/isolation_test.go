package haproxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestListenerIsolation serves one port shared by an owner's listeners (bank.example.com
// Passthrough, secure.example.com HTTPS) and tenants' wildcard listeners (*.example.com
// Passthrough and *.web.example.com HTTPS) in a real HAProxy: each name reaches only routes of the
// listener it selects, a claimed name without a route is closed, and an HTTPS request whose Host
// selects another listener than its TLS server name gets 421.
func TestListenerIsolation(t *testing.T) {
	r := newRig(t)
	owner, tenant := httpEcho(t, "owner"), httpEcho(t, "tenant")
	cert, err := testtls.New("secure.example.com", "*.web.example.com")
	if err != nil {
		t.Fatal(err)
	}
	port := freeport.String(t)
	bank := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bank"}
	tenantTLS := model.BackendID{Kind: "TLSRoute", Namespace: "tenant", Name: "app"}
	secure := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "secure"}
	tenantWeb := model.BackendID{Kind: "HTTPRoute", Namespace: "tenant", Name: "web"}
	all := model.HTTPRule{PathType: model.PathPrefix, Path: "/"}
	rule := func(b model.BackendID) []model.HTTPRule { r := all; r.Backend = b; return []model.HTTPRule{r} }
	certs := []model.Certificate{{Namespace: "default", Name: "web", CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}}
	dp := model.DataPlane{
		Sockets: []model.Socket{{
			Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/shared", Protocol: model.SocketTLS,
			Listeners: []model.ListenerClaim{
				{Listener: "tenants", Hostname: "*.example.com", Mode: model.ListenerPassthrough},
				{Listener: "tenants-web", Hostname: "*.web.example.com", Mode: model.ListenerHTTPS},
				{Listener: "bank", Hostname: "bank.example.com", Mode: model.ListenerPassthrough},
				{Listener: "secure", Hostname: "secure.example.com", Mode: model.ListenerHTTPS},
			},
			// The tenants' passthrough route serves app.example.com; nothing serves other.example.com.
			Passthrough:       []*model.SNIRoute{{Hostname: "app.example.com", Backend: tenantTLS}, {Hostname: "bank.example.com", Backend: bank}},
			HTTPS:             []string{"*.web.example.com", "secure.example.com"},
			HTTPSCertificates: certs,
			VirtualHosts: []model.VirtualHost{
				{Hostname: "*.web.example.com", Listener: "tenants-web", Rules: rule(tenantWeb)},
				{Hostname: "secure.example.com", Listener: "secure", Rules: rule(secure)},
			},
		}},
		Backends: []*model.Backend{
			{ID: bank, Servers: []model.Server{server(r.passthrough)}},
			{ID: tenantTLS, Servers: []model.Server{server(r.passthrough)}},
			{ID: secure, HTTP: true, Servers: []model.Server{httpServer("owner", owner, 1)}},
			{ID: tenantWeb, HTTP: true, Servers: []model.Server{httpServer("tenant", tenant, 1)}},
		},
	}
	if res := r.apply(dp); res.Err != nil {
		t.Fatalf("apply: %+v", res)
	}
	addr := "127.0.0.1:" + port
	for _, name := range []string{"bank.example.com", "app.example.com"} {
		a, err := probe.TLS(addr, name)
		if err != nil || a.Greeting != echo.Greeting("foo-backend", true, name) {
			t.Errorf("%s: %+v %v", name, a, err)
		}
	}
	// Claimed by the tenants' listener, no route: closed, never handed to another listener.
	if err := probe.Rejected(addr, "other.example.com"); err != nil {
		t.Errorf("other.example.com: %v", err)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cert.CertPEM)
	get := func(sni, host string, http2 bool) (int, string) {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: pool}, ForceAttemptHTTP2: http2}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "https://"+addr+"/", nil)
		req.Host = host
		resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("SNI %s Host %s: %v", sni, host, err)
		}
		defer resp.Body.Close()
		if http2 && resp.ProtoMajor != 2 {
			t.Errorf("SNI %s Host %s: %s, want HTTP/2", sni, host, resp.Proto)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, http2 := range []bool{false, true} {
		for _, c := range []struct {
			sni, host string
			status    int
			body      string
		}{
			{"secure.example.com", "secure.example.com", 200, "owner"},
			{"a.web.example.com", "a.web.example.com", 200, "tenant"},
			{"a.web.example.com", "b.web.example.com", 200, "tenant"}, // same listener: served
			{"a.web.example.com", "secure.example.com", 421, ""},      // the owner's listener
			{"secure.example.com", "a.web.example.com", 421, ""},
			{"a.web.example.com", "bank.example.com", 421, ""}, // a Passthrough listener's name
			{"a.web.example.com", "unknown.example.net", 421, ""},
		} {
			if status, body := get(c.sni, c.host, http2); status != c.status || (c.body != "" && body != c.body) {
				t.Errorf("HTTP/2 %v SNI %s Host %s: %d %q, want %d %q", http2, c.sni, c.host, status, body, c.status, c.body)
			}
		}
	}
}
