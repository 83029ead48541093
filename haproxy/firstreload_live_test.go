package haproxy

import (
	"errors"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestFirstReloadGoesWithoutCheck: the first reload after HAProxy started with the empty
// configuration goes to the master without the check, and a refusal then is still a *CheckError
// that names what HAProxy refused, with the empty workers still running. Every reload after it is
// checked first again: a refusal never reaches the master.
func TestFirstReloadGoesWithoutCheck(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	terminating := func(certificate testtls.Pair) model.DataPlane {
		return model.DataPlane{
			Sockets: []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
				Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: certificate.CertPEM, KeyPEM: certificate.KeyPEM}}}},
			Backends: []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}},
		}
	}
	weak, err := testtls.NewRSA1024("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	good, err := testtls.New("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	failedReloads := func() int {
		t.Helper()
		p, err := r.manager.master.Procs()
		if err != nil {
			t.Fatal(err)
		}
		return p.FailedReloads
	}
	refused := func(res Result) {
		t.Helper()
		var checkErr *CheckError
		if !errors.As(res.Err, &checkErr) || !strings.Contains(checkErr.Message, "certs/"+certFileName(model.Certificate{Namespace: "default", Name: "bar"})) {
			t.Fatalf("want HAProxy's refusal of the RSA-1024 certificate, got %v", res.Err)
		}
	}

	worker := r.workerPID()
	refused(r.apply(terminating(weak)))
	if got := failedReloads(); got != 1 {
		t.Fatalf("%d failed reloads: the first reload should have reached the master unchecked", got)
	}
	if got := r.workerPID(); got != worker {
		t.Errorf("worker %d replaced by %d after a refused reload", worker, got)
	}

	if res := r.apply(terminating(good)); res.Err != nil || !res.Reloaded() {
		t.Fatalf("a certificate HAProxy takes: %+v", res)
	}
	if a, err := probe.TLS("127.0.0.1:"+port, "bar.example.com"); err != nil || a.Serial.Cmp(good.Serial) != 0 {
		t.Fatalf("bar.example.com after the reload: %+v, %v", a, err)
	}
	// The master counts the reloads that failed since the last one that did not.
	before := failedReloads()
	refused(r.apply(terminating(weak)))
	if got := failedReloads(); got != before {
		t.Errorf("failed reloads %d -> %d: a reload of serving workers must be checked first", before, got)
	}
}
