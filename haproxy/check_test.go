package haproxy

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/build"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
)

// TestBuildInputsPassHAProxyCheck builds every input of the build goldens, hostile ones included
// (controller/build/testdata/*.in.yaml, with their real certificates), renders the data plane and
// runs "haproxy -c" on it: whatever the build lets through, HAProxy takes.
func TestBuildInputsPassHAProxyCheck(t *testing.T) {
	binary, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is not installed: make deps installs it")
	}
	defaultCert, err := NewDefaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	inputs, _ := filepath.Glob("../controller/build/testdata/*.in.yaml")
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
			opts := build.Options{ControllerName: "haproxy-gateway.io/gatewayclass-controller", AddressPool: netip.MustParsePrefix("10.250.0.0/16")}
			dp := build.Build(snap, opts).DataPlane
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
			if err := CheckConfig(context.Background(), binary, path); err != nil {
				t.Fatal(err)
			}
		})
	}
}
