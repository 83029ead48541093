package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const routeYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata:
  name: %s
spec:
  parentRefs: [{name: gw}]
  hostnames: [a.example.com]
  rules: [{backendRefs: [{name: svc, port: 443}]}]
`

// TestFilesRereadsOnChange checks the standalone source: objects from nested YAML files, the
// default namespace filled in, a change announced once and seen in the next snapshot, and a
// broken file keeping the last good view.
func TestFilesRereadsOnChange(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("routes/a.yaml", fmt.Sprintf(routeYAML, "first"))
	f := NewFiles(dir, 20*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-f.Changes()
	snap, err := f.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.TLSRoutes) != 1 || snap.TLSRoutes[0].Namespace != "default" || snap.TLSRoutes[0].Generation != 1 {
		t.Fatalf("routes %+v", snap.TLSRoutes)
	}

	write("routes/b.yml", fmt.Sprintf(routeYAML, "second"))
	select {
	case <-f.Changes():
	case <-time.After(5 * time.Second):
		t.Fatal("no change announced after a file was added")
	}
	snap, _ = f.Snapshot(ctx)
	if len(snap.TLSRoutes) != 2 || snap.TLSRoutes[1].Name != "second" {
		t.Fatalf("after adding a file: %d routes", len(snap.TLSRoutes))
	}

	// A file an editor has half written keeps its last readable version, and says so.
	write("routes/b.yml", "kind: [not yaml")
	select {
	case <-f.Changes():
	case <-time.After(5 * time.Second):
		t.Fatal("no change announced after a file broke")
	}
	snap, _ = f.Snapshot(ctx)
	if len(snap.TLSRoutes) != 2 {
		t.Fatalf("a broken file lost its objects: %d routes", len(snap.TLSRoutes))
	}
	if len(snap.Rejected) != 1 || !strings.HasSuffix(snap.Rejected[0].File, "routes/b.yml") ||
		!strings.Contains(strings.Join(snap.Rejected[0].Messages, " "), "last readable version stays in use") {
		t.Fatalf("rejected %+v", snap.Rejected)
	}
}
