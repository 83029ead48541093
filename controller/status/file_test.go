package status

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// sampleModel is a model with a class, two Gateways and a route, as a build would leave it.
func sampleModel() *model.Model {
	var zero metav1.Time
	return &model.Model{
		GatewayClasses: []model.GatewayClass{{Name: "haproxy", Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", 1, zero)}}},
		Gateways: []model.Gateway{{
			Namespace: "default", Name: "gw", Addresses: []string{"10.250.0.1"},
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
			Listeners: []gatewayv1.ListenerStatus{{
				Name: "tls", AttachedRoutes: 1,
				SupportedKinds: []gatewayv1.RouteGroupKind{{Kind: "TLSRoute"}},
				Conditions:     []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
			}},
		}, {
			Namespace: "default", Name: "deleted-meanwhile",
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
		}},
		Routes: []*model.Route{{
			Kind: "TLSRoute", Namespace: "default", Name: "r",
			Parents: []gatewayv1.RouteParentStatus{parent(ours, "gw", "", cond("Accepted", metav1.ConditionTrue, "Accepted", 1, zero))},
		}},
	}
}

func TestFileWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.yaml")
	w := NewFileWriter(path)
	m := sampleModel()
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

// TestFileWriterRejected: objects the source refused are a top-level list of the file, each with
// where it came from and what is wrong.
func TestFileWriterRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.yaml")
	m := sampleModel()
	m.Rejected = []snapshot.Rejected{{
		File: "routes/r.yaml", Document: 2, Kind: "HTTPRoute", Namespace: "default", Name: "../../x",
		Messages: []string{`metadata.name: Invalid value: "../../x": may not contain '/'`},
	}}
	if err := NewFileWriter(path).Write(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := `rejected:
- document: 2
  file: routes/r.yaml
  kind: HTTPRoute
  messages:
  - 'metadata.name: Invalid value: "../../x": may not contain ''/'''
  name: ../../x
  namespace: default
`
	if !strings.Contains(string(data), "\n"+want) {
		t.Errorf("status file\n%s\nlacks\n%s", data, want)
	}
}
