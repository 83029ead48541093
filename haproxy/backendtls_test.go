package haproxy

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// tlsBackend is a route backend with a plain server, one verified against a CA bundle and one
// against the system's roots.
func tlsBackend() model.Backend {
	ca := caBundle("secure.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQQ==\n-----END CERTIFICATE-----\n")
	return model.Backend{ID: model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "secure"}, Servers: []model.Server{
		{Service: "plain", Address: "10.244.0.1", Port: 8080, Weight: 1},
		{Service: "secure", Address: "10.244.0.2", Port: 8443, Weight: 1, TLS: ca},
		{Service: "public", Address: "10.244.0.3", Port: 443, Weight: 2, TLS: &model.BackendTLS{Hostname: "api.example.com", SystemCAs: true}},
	}}
}

// TestGoldenBackendTLS renders the route backend of tlsBackend and the CA file it names
// (testdata/backend-tls.cfg). Regenerate with -update.
func TestGoldenBackendTLS(t *testing.T) {
	cfg, err := Render(model.DataPlane{Backends: []*model.Backend{new(tlsBackend())}}, goldenSettings)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.Write(cfg.backends[0].text())
	for _, path := range sortedKeys(cfg.CAFiles) {
		fmt.Fprintf(&got, "### %s (named by %d route backend)\n%s", path, cfg.CAFiles[path], cfg.Files[path].Content())
	}
	compareGolden(t, filepath.Join("testdata", "backend-tls.cfg"), got.Bytes())
}

// TestWithServersKeepsCAFiles changes the servers of a backend the way the endpoint fast path does
// (withServers) and checks that the CA files follow as a full render has them, without touching
// the configuration it started from.
func TestWithServersKeepsCAFiles(t *testing.T) {
	caA := caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQQ==\n-----END CERTIFICATE-----\n")
	caB := caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQg==\n-----END CERTIFICATE-----\n")
	steps := []model.DataPlane{
		plane(),
		plane(withServerTLS(0, caA)),
		plane(withServerTLS(0, caA), withServerTLS(1, caA)),
		plane(withServerTLS(0, caB), withServerTLS(1, caA)),
		plane(withServerTLS(0, caB)),
		plane(),
	}
	running, err := Render(steps[0], planSettings)
	if err != nil {
		t.Fatal(err)
	}
	for i, dp := range steps[1:] {
		before := maps.Clone(running.Files)
		next, ok := running.withServers(dp.Backends)
		if !ok {
			t.Fatalf("step %d: withServers refused", i+1)
		}
		full, err := Render(dp, planSettings)
		if err != nil {
			t.Fatal(err)
		}
		if !next.Equal(full) || !maps.Equal(next.CAFiles, full.CAFiles) {
			t.Errorf("step %d: CA files %v, a full render has %v", i+1, next.CAFiles, full.CAFiles)
		}
		if len(before) != len(running.Files) {
			t.Errorf("step %d: the running configuration's files changed", i+1)
		}
		running = next
	}
}

// TestParseCAStore reads an answer of HAProxy 2.6 to "show ssl ca-file" with a transaction open.
func TestParseCAStore(t *testing.T) {
	answer := "# transaction\n*/d/certs/ca-1.pem - 2 certificate(s)\n# filename\n/d/certs/ca-1.pem - 0 certificate(s)\n" +
		"/d/certs/ca-2.pem - 3 certificate(s)\n@system-ca - 145 certificate(s)\n"
	want := map[string]int{"/d/certs/ca-1.pem": 0, "/d/certs/ca-2.pem": 3, "@system-ca": 145}
	if got := parseCAStore(answer); !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestCAFileName keeps a fingerprint that is not hex out of file names.
func TestCAFileName(t *testing.T) {
	for fingerprint, want := range map[string]string{
		"b003af51e87bd47082ed99dc11ac03e3af8cb27135ebe810adcfc6dd22668b69": "ca-b003af51e87bd470.pem",
		"../../../../etc/passwd": "ca-" + fileID("../../../../etc/passwd") + ".pem",
		"":                       "ca-" + fileID("") + ".pem",
	} {
		if got := caFileName(fingerprint); got != want {
			t.Errorf("caFileName(%q) = %q, want %q", fingerprint, got, want)
		}
	}
}
