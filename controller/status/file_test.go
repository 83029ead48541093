package status

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestFileWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.yaml")
	w := NewFileWriter(path)
	m := fakeModel()
	m.DataPlane.Backends = nil
	if err := w.Write(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back fileStatus
	if err := yaml.Unmarshal(data, &back); err != nil {
		t.Fatalf("status file is not YAML: %v\n%s", err, data)
	}
	if len(back.GatewayClasses) != 1 || len(back.Gateways) != 2 || len(back.Routes) != 1 {
		t.Errorf("read back %d classes, %d gateways, %d routes", len(back.GatewayClasses), len(back.Gateways), len(back.Routes))
	}
	if strings.Contains(string(data), "dataPlane") {
		t.Errorf("status file holds the data plane:\n%s", data)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}

	// An identical model leaves the file alone.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); !info.ModTime().Equal(old) {
		t.Errorf("identical Write rewrote the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the status file (no temp files left)", len(entries))
	}
}
