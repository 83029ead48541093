package source

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/sirupsen/logrus"
)

// TestFilesLeaveOutInvalidObjects: in one directory, an invalid object next to a valid one in the
// same file, a file that is not YAML at all, and a Secret without its key. The valid objects go
// on; each refused one is in the snapshot's Rejected and in the log with its file, kind, name and
// messages, and no Secret data anywhere.
func TestFilesLeaveOutInvalidObjects(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a-routes.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: good}
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example.com]
  rules: [{backendRefs: [{name: svc, port: 443}]}]
---
# a comment-only document counts as a document
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: "../../x"}
spec:
  rules: [{matches: [{method: "GET\nX: y"}]}]
`,
		"b-broken.yaml": "kind: [not yaml\n",
		"c-secret.yaml": `apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: web}
type: kubernetes.io/tls
stringData: {tls.crt: PRIVATE-MATERIAL}
`,
		"d-service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: 443}]}\n",
		"e-grpc.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{method: {service: echo.v1.Echo, method: Echo}}], backendRefs: [{name: svc, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: no-method}
spec:
  rules: [{matches: [{method: {type: Exact}}]}]
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	log := logrus.New()
	log.SetOutput(&logs)
	f := NewFiles(dir, time.Hour, log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := f.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.TLSRoutes) != 1 || len(snap.Services) != 1 || len(snap.HTTPRoutes) != 0 || len(snap.GRPCRoutes) != 1 || len(snap.Secrets) != 0 {
		t.Errorf("passed on %d TLSRoutes, %d Services, %d HTTPRoutes, %d GRPCRoutes, %d Secrets; want 1, 1, 0, 1, 0",
			len(snap.TLSRoutes), len(snap.Services), len(snap.HTTPRoutes), len(snap.GRPCRoutes), len(snap.Secrets))
	}
	type where struct {
		file           string
		document       int
		kind, ns, name string
	}
	var got []where
	for _, r := range snap.Rejected {
		got = append(got, where{filepath.Base(r.File), r.Document, r.Kind, r.Namespace, r.Name})
		if len(r.Messages) == 0 {
			t.Errorf("%s#%d rejected without a message", r.File, r.Document)
		}
	}
	want := []where{
		{"a-routes.yaml", 3, "HTTPRoute", "default", "../../x"},
		{"b-broken.yaml", 1, "", "", ""},
		{"c-secret.yaml", 1, "Secret", "web", "cert"},
		{"e-grpc.yaml", 2, "GRPCRoute", "default", "no-method"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(where{})); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	out := logs.String()
	for _, s := range []string{`file=`, `a-routes.yaml`, `kind=HTTPRoute`, `object=default/../../x`, `Unsupported value: \"GET\\nX: y\"`, `object=web/cert`, `data[tls.key]: Required value`,
		`One or both of 'service' or 'method' must be specified`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
	if strings.Contains(out, "PRIVATE") || strings.Contains(strings.Join(rejectedMessages(snap.Rejected), " "), "PRIVATE") {
		t.Errorf("Secret data reported:\n%s", out)
	}
}

func rejectedMessages(rs []snapshot.Rejected) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Messages...)
	}
	return out
}

// TestExamplesPassUnchanged: every object of the TLS routing example passes validation and reaches
// the snapshot exactly as a plain decode reads it (validation works on a defaulted copy, never on
// the object passed on).
func TestExamplesPassUnchanged(t *testing.T) {
	files, _, err := readTree("../../deploy/examples/tls-routing")
	if err != nil {
		t.Fatal(err)
	}
	v, err := validator()
	if err != nil {
		t.Fatal(err)
	}
	validated := &snapshot.Snapshot{}
	var all bytes.Buffer
	for _, f := range files {
		addAll(validated, decodeFile(context.Background(), v, f))
		all.WriteString("\n---\n")
		all.Write(f.content)
	}
	finish(validated)
	if len(validated.Rejected) > 0 {
		t.Fatalf("rejected %+v", validated.Rejected)
	}
	plain, err := Decode(all.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain, validated); diff != "" {
		t.Errorf("validated objects differ from a plain decode (-plain +validated):\n%s", diff)
	}
	if len(validated.Gateways) != 1 || len(validated.TLSRoutes) != 2 || len(validated.Secrets) != 1 || len(validated.EndpointSlices) != 2 {
		t.Errorf("example gave %d Gateways, %d TLSRoutes, %d Secrets, %d EndpointSlices",
			len(validated.Gateways), len(validated.TLSRoutes), len(validated.Secrets), len(validated.EndpointSlices))
	}
}
