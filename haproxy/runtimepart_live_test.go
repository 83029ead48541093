package haproxy

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestFailedReloadStillSendsRuntimeChanges: a change that needs a reload which fails (HAProxy
// refuses a new Gateway's RSA-1024 certificate; then the master does not answer) still moves the
// endpoints of the running Gateway, through the runtime API, with the worker unchanged.
func TestFailedReloadStillSendsRuntimeChanges(t *testing.T) {
	r := newRig(t)
	tc, _ := r.backendCert.TLSCertificate()
	other, err := echo.Listen("foo-2", "127.0.0.1:0", &tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	port, newPort := freeport.String(t), freeport.String(t)
	addr := "127.0.0.1:" + port
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	// running: Gateway gw with foo.example.com passed through to one server; with a certificate,
	// Gateway new terminating bar.example.com on another port.
	running := func(s *echo.Server, certificate *testtls.Pair) model.DataPlane {
		dp := model.DataPlane{
			Sockets:  []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Passthrough: []*model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}}}},
			Backends: []*model.Backend{{ID: fooID, Servers: []model.Server{server(s)}}},
		}
		if certificate != nil {
			dp.Sockets = append(dp.Sockets, model.Socket{Address: "127.0.0.1", Port: atoi32(newPort), Gateway: "default/new",
				Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: certificate.CertPEM, KeyPEM: certificate.KeyPEM}}})
			dp.Backends = append([]*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}}, dp.Backends...)
		}
		return dp
	}
	if res := r.apply(running(r.passthrough, nil)); res.Err != nil {
		t.Fatal(res.Err)
	}
	worker := r.workerPID()
	answers := func(want string) {
		t.Helper()
		a, err := probe.TLS(addr, "foo.example.com")
		if err != nil || a.Greeting != echo.Greeting(want, true, "foo.example.com") {
			t.Errorf("foo.example.com answered %q, %v; want %s", a.Greeting, err, want)
		}
		servers, err := r.manager.runtime.showServers(backendName(fooID))
		if err != nil || len(servers) != 1 || !strings.HasPrefix(servers[0].Name, want+":") {
			t.Errorf("show servers state: %+v, %v; want only %s", servers, err, want)
		}
	}

	weak, err := testtls.NewRSA1024("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	res := r.apply(running(other, &weak))
	var refused *CheckError
	if !errors.As(res.Err, &refused) || !strings.Contains(refused.Message, "certs/"+certFileName(model.Certificate{Namespace: "default", Name: "bar"})) {
		t.Fatalf("want HAProxy to refuse the RSA-1024 certificate, got %v", res.Err)
	}
	t.Logf("refused: %s; without the reload: %s", refused.Message, res.RuntimePart)
	if res.RuntimePartErr != nil || res.RuntimePart.Empty() {
		t.Fatalf("runtime part: %s, %v", res.RuntimePart, res.RuntimePartErr)
	}
	answers("foo-2")

	// The master does not answer: the reload fails for no object's fault.
	master := r.manager.master
	r.manager.master = AttachMaster(filepath.Join(t.TempDir(), "gone.sock"))
	good, err := testtls.New("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	res = r.apply(running(r.passthrough, &good))
	r.manager.master = master
	if res.Err == nil || errors.As(res.Err, &refused) || res.RuntimePartErr != nil || res.RuntimePart.Empty() {
		t.Fatalf("with the master gone: %+v", res)
	}
	t.Logf("master gone: %v; without the reload: %s", res.Err, res.RuntimePart)
	answers("foo-backend")
	if now := r.workerPID(); now != worker {
		t.Errorf("worker %d replaced by %d", worker, now)
	}

	// Once the master answers again, the reload goes through.
	if res := r.apply(running(r.passthrough, &good)); res.Err != nil || !res.Reloaded() {
		t.Fatalf("master back: %+v", res)
	}
	if bar, err := probe.TLS("127.0.0.1:"+newPort, "bar.example.com"); err != nil || bar.Serial.Cmp(good.Serial) != 0 {
		t.Errorf("bar.example.com after the reload: %+v, %v", bar, err)
	}
}
