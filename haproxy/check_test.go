package haproxy

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
)

// TestBuildInputsPassHAProxyCheck builds every input of the build goldens, hostile ones included
// (controller/translate/testdata/*.in.yaml, with their real certificates), renders the data plane and
// runs "haproxy -c" on it: whatever the build lets through, HAProxy takes.
func TestBuildInputsPassHAProxyCheck(t *testing.T) {
	binary := haproxyBinary(t)
	defaultCert, err := NewDefaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	inputs, _ := filepath.Glob("../controller/translate/testdata/*.in.yaml")
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := source.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			opts := translate.Options{ControllerName: "haproxy-gateway.io/gatewayclass-controller", AddressPool: netip.MustParsePrefix("10.250.0.0/16")}
			if err := checkDataPlane(t, binary, defaultCert, translate.Build(snap, opts).DataPlane); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// haproxyBinary is the path of the haproxy that checks configurations.
func haproxyBinary(t *testing.T) string {
	t.Helper()
	return haproxybin.Path(t)
}

// checkDataPlane renders a data plane into a new folder and runs "haproxy -c" on it.
func checkDataPlane(t *testing.T, binary string, defaultCert []byte, dp model.DataPlane) error {
	t.Helper()
	dir := t.TempDir()
	settings := Settings{Dir: dir, RunDir: dir, StatsAddress: "127.0.0.1:8404", DefaultCertificate: defaultCert, SpareBackends: 2}
	cfg, err := Render(dp, settings)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := writeFiles(path, cfg); err != nil {
		t.Fatal(err)
	}
	return CheckConfig(context.Background(), binary, path)
}
