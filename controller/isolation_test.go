package controller

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestRefusedObjectsAreIsolated runs the Runner's apply against a real HAProxy 2.6 with three
// Gateways: on a, an HTTPRoute whose endpoint port HAProxy refuses beside one it takes; on b, an
// HTTPRoute; on c, a listener whose certificate is RSA-1024, which HAProxy's OpenSSL refuses. The
// refused route and listener are reported with HAProxy's message and left out; everything else
// is programmed and serves. Then an endpoint change on b reaches HAProxy without a reload and
// within a second, with the refused objects still there; and the refused route, once fixed, is
// served.
func TestRefusedObjectsAreIsolated(t *testing.T) {
	manager, stats := startHAProxy(t)
	logger, logs := logtest.NewNullLogger()
	r := &Runner{DataPlane: HAProxy{Manager: manager}, Log: logger}
	weak, err := testtls.NewRSA1024("c.example.com")
	if err != nil {
		t.Fatal(err)
	}
	good, bFirst, bSecond := httpEcho(t, "good"), httpEcho(t, "b-first"), httpEcho(t, "b-second")
	ports := map[string]int32{"a": int32(freeport.Get(t)), "b": int32(freeport.Get(t)), "c": int32(freeport.Get(t))}
	scene := isolationScene{ports: ports, weak: weak, good: good, refusedPort: 70000, refusedPath: "/refused"}

	m, snap := scene.model(bFirst)
	served, result := r.applyIsolated(context.Background(), snap, m)
	if result.Err != nil || !result.Reloaded {
		t.Fatalf("apply: %v (%s)", result.Err, result.Detail)
	}
	expect := func(where string, c *metav1.Condition, want string, message ...string) {
		t.Helper()
		if c == nil || string(c.Status)+" "+c.Reason != want {
			t.Errorf("%s: %+v, want %s", where, c, want)
			return
		}
		for _, m := range message {
			if !strings.Contains(c.Message, m) {
				t.Errorf("%s: message %q lacks %q", where, c.Message, m)
			}
		}
		if strings.Contains(c.Message, "BEGIN") {
			t.Errorf("%s: message holds PEM", where)
		}
	}
	routeAccepted := func(m *model.Model, name string) *metav1.Condition {
		for _, route := range m.Routes {
			if route.Name == name {
				return meta.FindStatusCondition(route.Parents[0].Conditions, string(gatewayv1.RouteConditionAccepted))
			}
		}
		return nil
	}
	programmed := func(m *model.Model, gateway string, listener bool) *metav1.Condition {
		for _, g := range m.Gateways {
			if g.Name == gateway && listener {
				return meta.FindStatusCondition(g.Listeners[0].Conditions, string(gatewayv1.ListenerConditionProgrammed))
			}
			if g.Name == gateway {
				return meta.FindStatusCondition(g.Conditions, string(gatewayv1.GatewayConditionProgrammed))
			}
		}
		return nil
	}
	expect("refused route", routeAccepted(served, "refused"), "False UnsupportedValue", "invalid port '70000'")
	expect("route beside it", routeAccepted(served, "good"), "True Accepted")
	expect("route on b", routeAccepted(served, "b"), "True Accepted")
	expect("listener with an RSA-1024 certificate", programmed(served, "c", true), "False Invalid", "unable to load SSL certificate", "certs/c")
	expect("Gateway c", programmed(served, "c", false), "False Invalid", "unable to load SSL certificate")
	for _, g := range []string{"a", "b"} {
		expect("Gateway "+g, programmed(served, g, false), "True Programmed")
		expect("listener of "+g, programmed(served, g, true), "True Programmed")
	}
	get(t, ports["a"], "a.example.com", "/good", "good")
	get(t, ports["a"], "a.example.com", "/refused", "404")
	get(t, ports["b"], "b.example.com", "/", "b-first")
	var warnings []string
	for _, e := range logs.AllEntries() {
		if e.Level == logrus.WarnLevel {
			warnings = append(warnings, fmt.Sprint(e.Data["object"], ": ", e.Data["haproxy"]))
		}
	}
	if len(warnings) != 2 {
		t.Errorf("want one warning for each refused object, got %q", warnings)
	}
	t.Logf("warnings (%d checks): %q", logs.AllEntries()[0].Data["checks"], warnings)

	// An endpoint change on b: the refused objects are still there, and are not checked again.
	logs.Reset()
	m, snap = scene.model(bSecond)
	start := time.Now()
	_, result = r.applyIsolated(context.Background(), snap, m)
	took := time.Since(start)
	if result.Err != nil || result.Reloaded || result.RuntimeOps["add server"] != 1 {
		t.Fatalf("endpoint change: %v (%s)", result.Err, result.Detail)
	}
	if took > time.Second {
		t.Errorf("the endpoint change took %s to reach HAProxy", took)
	}
	state, err := haproxy.CLICommand(stats, "show servers state httproute:default:b:rule0")
	servers, parseErr := haproxy.ParseServersState(state)
	running := map[string]bool{}
	for _, s := range servers {
		running[strings.Split(s.Name, ":")[0]] = s.Running
	}
	if err != nil || parseErr != nil || !running["b-second"] || running["b-first"] {
		t.Errorf("show servers state (want b-second running, b-first not): %v, %v\n%s", err, parseErr, state)
	}
	get(t, ports["b"], "b.example.com", "/", "b-second")
	if len(logs.AllEntries()) != 0 {
		t.Errorf("an endpoint change logged %d lines about refused objects", len(logs.AllEntries()))
	}
	t.Logf("endpoint change on b in %s: %s", took, result.Detail)

	// The refused route is changed (a fingerprint of what it is in the data plane, not of its
	// endpoints, says so): it is tried again, and served.
	scene.refusedPort, scene.refusedPath = good.port(), "/fixed"
	m, snap = scene.model(bSecond)
	served, result = r.applyIsolated(context.Background(), snap, m)
	if result.Err != nil {
		t.Fatalf("fixed route: %v", result.Err)
	}
	expect("fixed route", routeAccepted(served, "refused"), "True Accepted")
	expect("listener with an RSA-1024 certificate", programmed(served, "c", true), "False Invalid")
	get(t, ports["a"], "a.example.com", "/fixed", "good")
}

// isolationScene builds the test's model and the Gateway objects behind it.
type isolationScene struct {
	ports       map[string]int32
	weak        testtls.Pair
	good        echoServer
	refusedPort int32
	refusedPath string
}

func (s isolationScene) model(b echoServer) (*model.Model, *snapshot.Snapshot) {
	id := func(name string) model.BackendID {
		return model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: name}
	}
	tls := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "c"}
	prefix := func(path, route string) model.HTTPRule {
		return model.HTTPRule{PathType: model.PathPrefix, Path: path, Backend: id(route)}
	}
	refused := s.good.server()
	refused.Port = s.refusedPort
	m := &model.Model{DataPlane: model.DataPlane{
		Sockets: []model.Socket{
			{Address: "127.0.0.1", Port: s.ports["a"], Gateway: "default/a", Protocol: model.SocketHTTP,
				VirtualHosts: []model.VirtualHost{{Hostname: "a.example.com", Rules: []model.HTTPRule{prefix("/good", "good"), prefix(s.refusedPath, "refused")}}}},
			{Address: "127.0.0.1", Port: s.ports["b"], Gateway: "default/b", Protocol: model.SocketHTTP,
				VirtualHosts: []model.VirtualHost{{Hostname: "b.example.com", Rules: []model.HTTPRule{prefix("/", "b")}}}},
			{Address: "127.0.0.1", Port: s.ports["c"], Gateway: "default/c", Protocol: model.SocketTLS,
				Terminate:    []*model.SNIRoute{{Hostname: "c.example.com", Backend: tls}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "weak", CertPEM: s.weak.CertPEM, KeyPEM: s.weak.KeyPEM, Fingerprint: "weak"}}},
		},
		Backends: []*model.Backend{
			{ID: id("b"), HTTP: true, Servers: []model.Server{b.server()}},
			{ID: id("good"), HTTP: true, Servers: []model.Server{s.good.server()}},
			{ID: id("refused"), HTTP: true, Servers: []model.Server{refused}},
			{ID: tls, Servers: []model.Server{s.good.server()}},
		},
	}}
	snap := &snapshot.Snapshot{}
	for _, name := range []string{"a", "b", "c"} {
		listener := gatewayv1.Listener{Name: "main", Port: gatewayv1.PortNumber(s.ports[name])}
		if name == "c" {
			listener.TLS = &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "weak"}}}
		}
		gw := gatewayv1.Gateway{Spec: gatewayv1.GatewaySpec{Listeners: []gatewayv1.Listener{listener}}}
		gw.Namespace, gw.Name = "default", name
		snap.Gateways = append(snap.Gateways, gw)
		m.Gateways = append(m.Gateways, model.Gateway{Namespace: "default", Name: name,
			Conditions: []metav1.Condition{isolationCondition(string(gatewayv1.GatewayConditionProgrammed))},
			Listeners: []gatewayv1.ListenerStatus{{Name: "main",
				Conditions: []metav1.Condition{isolationCondition(string(gatewayv1.ListenerConditionProgrammed))}}},
		})
	}
	for route, gateway := range map[string]string{"good": "a", "refused": "a", "b": "b", "c": "c"} {
		kind := "HTTPRoute"
		if route == "c" {
			kind = "TLSRoute"
		}
		m.Routes = append(m.Routes, &model.Route{Kind: kind, Namespace: "default", Name: route, Parents: []gatewayv1.RouteParentStatus{{
			ParentRef:  gatewayv1.ParentReference{Name: gatewayv1.ObjectName(gateway)},
			Conditions: []metav1.Condition{isolationCondition(string(gatewayv1.RouteConditionAccepted))},
		}}})
	}
	return m, snap
}

// isolationCondition is a True condition whose reason is its type, as the build writes them.
func isolationCondition(conditionType string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: metav1.ConditionTrue, Reason: conditionType, Message: conditionType, ObservedGeneration: 1}
}

// echoServer answers every HTTP request with its name.
type echoServer struct {
	name string
	*httptest.Server
}

func httpEcho(t *testing.T, name string) echoServer {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, name) }))
	t.Cleanup(s.Close)
	return echoServer{name, s}
}

func (s echoServer) port() int32 { return int32(s.Listener.Addr().(*net.TCPAddr).Port) }

func (s echoServer) server() model.Server {
	return model.Server{Service: s.name, Address: "127.0.0.1", Port: s.port(), Weight: 1}
}

// get asks HAProxy for path on host and wants the body (or the status code, for errors) to be want.
func get(t *testing.T, port int32, host, path, want string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("GET %s%s: %v", host, path, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := string(body)
	if resp.StatusCode != http.StatusOK {
		got = fmt.Sprint(resp.StatusCode)
	}
	if got != want {
		t.Errorf("GET %s%s: %q, want %q", host, path, got, want)
	}
}

// startHAProxy starts a real HAProxy through a Manager and returns it with its stats socket.
func startHAProxy(t *testing.T) (*haproxy.Manager, string) {
	t.Helper()
	binary := haproxybin.Path(t)
	defaultCert, err := haproxy.NewDefaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are limited to 107 bytes: t.TempDir's can be longer.
	run, err := os.MkdirTemp("", "hg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	settings := haproxy.Settings{Dir: t.TempDir(), RunDir: run, StatsAddress: fmt.Sprintf("127.0.0.1:%d", int32(freeport.Get(t))),
		HardStopAfter: 5 * time.Second, IdleTimeout: time.Minute, DefaultCertificate: defaultCert, SpareBackends: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := haproxy.NewManager(ctx, haproxy.ManagerOptions{Binary: binary, Settings: settings, Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m, filepath.Join(run, "stats.sock")
}
