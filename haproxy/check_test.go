package haproxy

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
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

// TestLargestRulePassesHAProxyCheck renders the largest rule the build takes (syntax.MaxRuleSize
// bytes of header values, each byte one that percent-encoding triples) and runs "haproxy -c" on
// it: the map entry it becomes is read whole, and the router loads.
func TestLargestRulePassesHAProxyCheck(t *testing.T) {
	binary := haproxyBinary(t)
	id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web"}
	r := model.HTTPRule{PathType: model.PathPrefix, Path: "/api", Method: "GET", Backend: id}
	for i := range 4 {
		name := fmt.Sprintf("x-h%d", i)
		r.Headers = append(r.Headers, model.HeaderMatch{Name: name, Value: strings.Repeat(`"`, syntax.MaxRuleSize/4-len(name)-2)})
	}
	dp := model.DataPlane{
		Sockets: []model.Socket{{Address: "127.0.0.1", Port: 80, Gateway: "default/gw", Protocol: model.SocketHTTP,
			Listeners:    []model.ListenerClaim{{Listener: "http", Hostname: "*", Mode: model.ListenerHTTP}},
			VirtualHosts: []model.VirtualHost{{Hostname: "*", Listener: "http", Rules: []model.HTTPRule{r}}}}},
		Backends: []model.Backend{{ID: id, HTTP: true}},
	}
	if err := checkDataPlane(t, binary, nil, dp); err != nil {
		t.Errorf("a rule of %d bytes: %v", syntax.MaxRuleSize, err)
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
