package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echobasic"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// hostileFiles are manifests for standalone mode: what TestHostileTenants sees the API server
// refuse, beside a valid route and what the CRDs' schemas let through to the build's checks.
const hostileFiles = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: standalone}
spec: {controllerName: haproxy-gateway.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: standalone
  listeners:
  - {name: web, protocol: HTTP, port: 80}
  - {name: path-cert, protocol: HTTPS, port: 443, hostname: path.example.com, tls: {certificateRefs: [{name: ../../x}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 3000}]
endpoints: [{addresses: [10.244.2.10], conditions: {ready: true}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: web}]
  rules:
  - matches: [{headers: [{name: x-flag, value: "-i"}]}]
    backendRefs: [{name: web, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: method-injection, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: "GET }\nprogram x\n  command /bin/true\n"}]
    backendRefs: [{name: web, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hostname-newline, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["a.example.com\nb.example.com"]
  rules: [{backendRefs: [{name: web, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hostname-semicolon, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["a.example.com;shutdown frontend x"]
  rules: [{backendRefs: [{name: web, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: header-name-newline, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{headers: [{name: "x-a\nx-b", value: v}]}]
    backendRefs: [{name: web, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ../../x, namespace: default}
spec:
  gatewayClassName: standalone
  listeners: [{name: web, protocol: HTTP, port: 81}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: listener-newline, namespace: default}
spec:
  gatewayClassName: standalone
  listeners: [{name: web, protocol: HTTP, port: 82, hostname: "a.example.com\nb"}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: header-value-newline, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{headers: [{name: x-a, value: "a\nhttp-request deny"}]}]
    backendRefs: [{name: web, port: 8080}]
`

// TestHostileStandaloneFiles runs the controller binary in standalone mode (-source=files) on the
// manifests above: what an API server would refuse is listed under rejected: in the status file,
// with the field at fault, and left out; the schemas' gaps get conditions from the build; the
// valid route in the same files is served.
func TestHostileStandaloneFiles(t *testing.T) {
	cluster.SkipUnlessRunnable(t)
	dir, work := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hostile.yaml"), []byte(hostileFiles), 0o600); err != nil {
		t.Fatal(err)
	}
	backend, err := echobasic.Start("10.244.2.10", echobasic.Pod{Env: map[string]string{"POD_NAME": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	statusFile := filepath.Join(work, "status.yaml")
	runControllerProcess(t, controllerOptions{}, "-source=files", "-files-dir", dir, "-status-file", statusFile, "-address-pool", gatewayPool)

	var status struct {
		Rejected []snapshot.Rejected `json:"rejected"`
		Gateways []model.Gateway     `json:"gateways"`
		Routes   []*model.Route      `json:"routes"`
	}
	var address string
	// The traffic helpers need an env for their t only: there is no API server here.
	c := &tenantCase{env: &env{t: t}}
	c.eventually("the status file with gw's address and web Accepted", 30*time.Second, func() error {
		raw, err := os.ReadFile(statusFile)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(raw, &status); err != nil {
			return err
		}
		for _, g := range status.Gateways {
			if g.Name == "gw" && len(g.Addresses) == 1 {
				address = g.Addresses[0]
			}
		}
		if address == "" {
			return fmt.Errorf("gw has no address yet")
		}
		return fileRouteCondition(status.Routes, "web", "Accepted", metav1.ConditionTrue, "Accepted")
	})

	c.reaches(httpRequest{addr: address + ":80", host: "a.example.com", headers: [][2]string{{"x-flag", "-i"}}}, "web")
	c.answers(httpRequest{addr: address + ":80", host: "a.example.com", headers: [][2]string{{"x-flag", "-I"}}}, 404)

	// Each refused document names its object and the field at fault.
	for _, want := range []struct{ kind, name, field string }{
		{"HTTPRoute", "method-injection", "spec.rules[0].matches[0].method"},
		{"HTTPRoute", "hostname-newline", "spec.hostnames[0]"},
		{"HTTPRoute", "hostname-semicolon", "spec.hostnames[0]"},
		{"HTTPRoute", "header-name-newline", "spec.rules[0].matches[0].headers[0].name"},
		{"Gateway", "../../x", "metadata.name"},
		{"Gateway", "listener-newline", "spec.listeners[0].hostname"},
	} {
		i := slices.IndexFunc(status.Rejected, func(r snapshot.Rejected) bool { return r.Kind == want.kind && r.Name == want.name })
		if i < 0 {
			t.Errorf("%s %s is not under rejected: %+v", want.kind, want.name, status.Rejected)
			continue
		}
		messages := strings.Join(status.Rejected[i].Messages, "; ")
		t.Logf("rejected %s %s: %s", want.kind, want.name, messages)
		if !strings.Contains(messages, want.field) {
			t.Errorf("%s %s rejected with %q, which does not name %s", want.kind, want.name, messages, want.field)
		}
		if slices.ContainsFunc(status.Routes, func(r *model.Route) bool { return r.Name == want.name }) {
			t.Errorf("rejected %s %s has a route status", want.kind, want.name)
		}
	}
	if err := fileRouteCondition(status.Routes, "header-value-newline", "Accepted", metav1.ConditionFalse, "UnsupportedValue"); err != nil {
		t.Error(err)
	}
	i := slices.IndexFunc(status.Gateways, func(g model.Gateway) bool { return g.Name == "gw" })
	for _, l := range status.Gateways[i].Listeners {
		if l.Name == "path-cert" {
			if err := conditionIs(l.Conditions, 1, "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef", `"../../x"`); err != nil {
				t.Errorf("listener path-cert: %v", err)
			}
		}
	}
}

// fileRouteCondition checks a condition of the only parent of a route in the status file.
func fileRouteCondition(routes []*model.Route, name, conditionType string, status metav1.ConditionStatus, reason string) error {
	for _, r := range routes {
		if r.Name == name && len(r.Parents) == 1 {
			return conditionIs(r.Parents[0].Conditions, 1, conditionType, status, reason)
		}
	}
	return fmt.Errorf("no status for route %s", name)
}
