package haproxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestTerminateOnlyPortBindsDirectly serves a port whose listeners all terminate TLS on a real
// HAProxy: the terminating frontend binds the port itself; a name claimed by a listener without a
// route is refused, not left to a less specific listener's route, and a route for it comes and
// goes without a reload; a name no listener claims fails the handshake; a client that sends no
// ClientHello is closed after 5 s, while a routed connection idle for longer stays open; and a
// Passthrough listener added to the port reloads once into the shape that serves both modes.
func TestTerminateOnlyPortBindsDirectly(t *testing.T) {
	r := newRig(t)
	cert, err := testtls.New("*.example.com", "bar.example.com", "foo.example.com")
	if err != nil {
		t.Fatal(err)
	}
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	wildID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "wild-route"}
	passID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "pass-route"}
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	dp := func(passthrough, foo bool) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
			Listeners: []model.ListenerClaim{
				{Listener: "wild", Hostname: "*.example.com", Mode: model.ListenerTerminate},
				{Listener: "bar", Hostname: "bar.example.com", Mode: model.ListenerTerminate},
				// foo claims its name and has no route: foo.example.com is refused.
				{Listener: "foo", Hostname: "foo.example.com", Mode: model.ListenerTerminate},
			},
			Terminate: []*model.SNIRoute{
				{Hostname: "*.example.com", Backend: wildID},
				{Hostname: "bar.example.com", Backend: barID},
			},
			Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}},
		}
		backends := []*model.Backend{
			{ID: barID, Servers: []model.Server{server(r.plain)}},
			{ID: wildID, Servers: []model.Server{server(r.plain)}},
		}
		if foo {
			sock.Terminate = append(sock.Terminate, &model.SNIRoute{Hostname: "foo.example.com", Backend: fooID})
			backends = []*model.Backend{backends[0], {ID: fooID, Servers: []model.Server{server(r.plain)}}, backends[1]}
		}
		if passthrough {
			sock.Listeners = append(sock.Listeners, model.ListenerClaim{Listener: "pass", Hostname: "pass.example.com", Mode: model.ListenerPassthrough})
			sock.Passthrough = []*model.SNIRoute{{Hostname: "pass.example.com", Backend: passID}}
			// Backends are in the model's order, by ID.
			backends = []*model.Backend{backends[0], {ID: passID, Servers: []model.Server{server(r.passthrough)}}, backends[1]}
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends}
	}
	res := r.apply(dp(false, false))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	cfg := string(r.manager.live.Config.Text())
	if !strings.Contains(cfg, "bind "+addr+" ssl crt-list ") || strings.Contains(cfg, "frontend gateway:default:gw:"+port) {
		t.Fatalf("the terminating frontend does not bind %s itself:\n%s", addr, cfg)
	}
	plain := echo.Greeting("bar-backend", false, "")
	for _, name := range []string{"bar.example.com", "baz.example.com"} {
		if a, err := probe.TLS(addr, name); err != nil || a.Greeting != plain {
			t.Errorf("%s answered %q (%v), want %q", name, a.Greeting, err, plain)
		}
	}
	if err := probe.Refused(addr, "foo.example.com"); err != nil {
		t.Errorf("foo.example.com, claimed by a listener without routes: %v", err)
	}
	// A name no listener claims has no certificate: the handshake fails ("unrecognized name").
	if err := probe.Rejected(addr, "other.test"); err != nil {
		t.Error(err)
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(15 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		if took := time.Since(start); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) || took < 4*time.Second || took > 8*time.Second {
			t.Errorf("a connection without a ClientHello ended after %v with %v; want closed after about 5 s", took, err)
		}
	})
	wg.Go(func() {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "bar.example.com", InsecureSkipVerify: true})
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rd := bufio.NewReader(conn)
		if _, err := rd.ReadString('\n'); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(6 * time.Second)
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			t.Errorf("after 6 s idle: %v", err)
			return
		}
		if echoed, err := rd.ReadString('\n'); err != nil || echoed != "ping\n" {
			t.Errorf("a routed connection idle for 6 s echoed %q (%v); want it open", echoed, err)
		}
	})
	wg.Wait()

	// A route for foo.example.com comes and goes through the Terminate map alone.
	r.applyWithoutReload("a route for foo.example.com", dp(false, true))
	if a, err := probe.TLS(addr, "foo.example.com"); err != nil || a.Greeting != plain {
		t.Errorf("foo.example.com with its route answered %q (%v), want %q", a.Greeting, err, plain)
	}
	r.applyWithoutReload("the route for foo.example.com deleted", dp(false, false))
	if err := probe.Refused(addr, "foo.example.com"); err != nil {
		t.Errorf("foo.example.com after its route went: %v", err)
	}

	res = r.apply(dp(true, false))
	if res.Err != nil || !res.Plan.Reload {
		t.Fatalf("a Passthrough listener added to the port: %+v; want a reload", res)
	}
	if a, err := probe.TLS(addr, "bar.example.com"); err != nil || a.Greeting != plain {
		t.Errorf("after the reload bar.example.com answered %q (%v)", a.Greeting, err)
	}
	if a, err := probe.TLS(addr, "pass.example.com"); err != nil || a.Greeting != echo.Greeting("foo-backend", true, "pass.example.com") {
		t.Errorf("pass.example.com answered %q (%v)", a.Greeting, err)
	}
	if err := probe.Rejected(addr, "foo.example.com"); err != nil {
		t.Errorf("after the reload, foo.example.com: %v", err)
	}
}
