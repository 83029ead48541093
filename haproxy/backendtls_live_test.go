package haproxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
)

// testCA is a certificate authority for backends' certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a server certificate for names signed by the CA.
func (ca *testCA) issue(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// verifiedBy is BackendTLS for hostname against the bundle of the CAs' certificates.
func verifiedBy(hostname string, cas ...*testCA) *model.BackendTLS {
	var bundle []byte
	for _, ca := range cas {
		bundle = append(bundle, ca.pem...)
	}
	sum := sha256.Sum256(bundle)
	return &model.BackendTLS{Hostname: hostname, CACertificates: bundle, CAFingerprint: hex.EncodeToString(sum[:])}
}

// TestNoReloadBackendTLS re-encrypts a Terminate route's connections to a TLS backend whose
// certificate, for abc.example.com, a test CA signed: the backend sees the SNI abc.example.com; a
// wrong hostname, a CA that did not sign it, or the system's roots make the connection fail. Every
// change of CA or hostname after the first configuration goes through the runtime API, the CA
// files included, with the worker unchanged; a reload and a restarted controller then find the
// same.
func TestNoReloadBackendTLS(t *testing.T) {
	r := newRig(t)
	ca, otherCA := newTestCA(t, "backend CA"), newTestCA(t, "other CA")
	backendCert := ca.issue(t, "abc.example.com")
	backend, err := echo.Listen("secure-backend", "127.0.0.1:0", &backendCert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)
	gatewayCert := r.backendCert // for foo.example.com, which the gateway terminates
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	secureID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "secure"}
	dp := func(tls *model.BackendTLS) model.DataPlane {
		s := server(backend)
		s.TLS = tls
		return model.DataPlane{
			Sockets: []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
				Terminate:    []*model.SNIRoute{{Hostname: "foo.example.com", Backend: secureID}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: gatewayCert.CertPEM, KeyPEM: gatewayCert.KeyPEM}}}},
			Backends: []*model.Backend{{ID: secureID, Servers: []model.Server{s}}},
		}
	}
	verified := func(what string) {
		t.Helper()
		a, err := probe.TLS(addr, "foo.example.com")
		if err != nil || a.Greeting != echo.Greeting("secure-backend", true, "abc.example.com") {
			t.Fatalf("%s: answered %q, %v; want the backend over TLS with SNI abc.example.com", what, a.Greeting, err)
		}
	}
	refused := func(what string) {
		t.Helper()
		if a, err := probe.TLS(addr, "foo.example.com"); err == nil {
			t.Fatalf("%s: the backend answered %q; want the connection to fail verification", what, a.Greeting)
		}
	}

	// The first configuration: haproxy.cfg names the CA file, a reload loads it.
	if res := r.apply(dp(verifiedBy("abc.example.com", ca))); res.Err != nil || !res.Plan.Reload {
		t.Fatalf("first configuration: %+v", res)
	}
	verified("CA file loaded at the reload")

	r.applyWithoutReload("wrong hostname", dp(verifiedBy("wrong.example.com", ca)))
	refused("certificate not valid for the hostname sent")

	r.applyWithoutReload("wrong CA", dp(verifiedBy("abc.example.com", otherCA)))
	refused("certificate signed by another CA")

	r.applyWithoutReload("CA rotated: the bundle gains the backend's CA", dp(verifiedBy("abc.example.com", otherCA, ca)))
	verified("CA file loaded through the runtime API")

	r.applyWithoutReload("system roots", dp(&model.BackendTLS{Hostname: "abc.example.com", SystemCAs: true}))
	refused("the system's roots do not hold the test CA")

	rotated := dp(verifiedBy("abc.example.com", ca))
	r.applyWithoutReload("CA rotated back to the first bundle", rotated)
	verified("first bundle loaded again through the runtime API")
	// The CA files no server names wait for deletion behind the servers that named them, which
	// are out of service meanwhile; then both go.
	unnamed := func() []string {
		t.Helper()
		store, err := r.manager.runtime.caStore()
		if err != nil || len(r.manager.live.Config.CAFiles) != 1 {
			t.Fatalf("CA files %v, %v", r.manager.live.Config.CAFiles, err)
		}
		var out []string
		for path := range store {
			if strings.Contains(path, "/ca-") && r.manager.live.Config.CAFiles[path] == 0 {
				out = append(out, path)
			}
		}
		return out
	}
	waiting := r.manager.live.Leaving
	if len(waiting) == 0 {
		t.Fatal("no server waits for deletion right after one left")
	}
	for _, path := range unnamed() {
		if !slices.ContainsFunc(waiting, func(d deletion) bool { return d.Kind == DelCAFile && d.File == path }) {
			t.Errorf("CA store holds %s, which no server names and which does not wait for deletion: %+v", path, waiting)
		}
	}
	servers, err := r.manager.runtime.answers([]string{"show servers state " + backendName(secureID)})
	if err != nil {
		t.Fatal(err)
	}
	states, _ := ParseServersState(servers[0])
	for _, s := range states {
		if leaves := holds(waiting.servers(), s.Backend, s.Name); leaves == s.Running {
			t.Errorf("server %s runs: %t, waits for deletion: %t", s.Name, s.Running, leaves)
		}
	}
	r.deleteLeaving()
	if stale := unnamed(); len(stale) > 0 {
		t.Errorf("CA store still holds %v, which no server names", stale)
	}

	// What the runtime API changed is on disk: a reload keeps it.
	worker := r.workerPID()
	if err := r.manager.Master().Reload(t.Context(), reloadTimeoutForTests); err != nil {
		t.Fatal(err)
	}
	if r.workerPID() == worker {
		t.Fatal("forced reload kept the worker")
	}
	verified("after a reload from the files")

	// A restarted controller learns what runs, CA files included, and rotates without a reload.
	time.Sleep(stateQuiet + 50*time.Millisecond)
	if resumed := r.restartController(); !strings.Contains(resumed, "no reload needed") {
		t.Fatalf("restart did not learn what runs: %s", resumed)
	}
	if res := r.apply(rotated); !res.Plan.Empty() || res.Err != nil {
		t.Fatalf("unchanged configuration after restart: %+v", res)
	}
	r.applyWithoutReload("CA rotated after the restart", dp(verifiedBy("abc.example.com", ca, otherCA)))
	verified("after the restart")

	// The endpoint fast path: the last endpoint goes (its CA file with it), then comes back.
	worker = r.workerPID()
	for _, step := range []struct {
		what    string
		servers []model.Server
	}{{"endpoints scaled to zero", nil}, {"endpoint back", dp(verifiedBy("abc.example.com", ca, otherCA)).Backends[0].Servers}} {
		next := dp(nil)
		next.Backends[0].Servers = step.servers
		res := r.manager.ApplyServers(t.Context(), next, []model.BackendID{secureID})
		if res.Err != nil || res.RuntimeErr != nil || res.Plan.Reload || r.workerPID() != worker {
			t.Fatalf("%s: %+v", step.what, res)
		}
		t.Logf("%s: %s", step.what, res.Plan)
	}
	verified("after the endpoint came back")

	// A restarted controller finds what waits for deletion in the saved state, and deletes it in
	// its turn.
	waiting = r.manager.live.Leaving
	time.Sleep(stateQuiet + 50*time.Millisecond)
	if resumed := r.restartController(); !strings.Contains(resumed, "no reload needed") {
		t.Fatalf("restart with servers waiting for deletion did not learn what runs: %s", resumed)
	}
	if len(waiting) == 0 || len(r.manager.live.Leaving) != len(waiting) {
		t.Errorf("waiting for deletion before the restart: %+v; after: %+v", waiting, r.manager.live.Leaving)
	}
	r.deleteLeaving()
	if stale := unnamed(); len(stale) > 0 {
		t.Errorf("after the restart, the CA store still holds %v, which no server names", stale)
	}
	verified("after the restarted controller deleted what left")
}
