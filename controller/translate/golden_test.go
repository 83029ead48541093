package translate_test

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// Options every golden case builds with.
var goldenOptions = translate.Options{
	ControllerName: "haproxy-gateway.io/gatewayclass-controller",
	AddressPool:    netip.MustParsePrefix("10.250.0.0/16"),
	Reserved:       []translate.ReservedPort{{Port: 8405, Use: "the controller's metrics and health checks"}},
}

// Options of the golden cases named services*: Gateways get Services of their own.
var goldenServiceOptions = translate.Options{
	ControllerName: goldenOptions.ControllerName,
	Services: &translate.ServiceOptions{
		Namespace: "haproxy-gateway",
		Type:      corev1.ServiceTypeLoadBalancer,
		Selector:  map[string]string{"app.kubernetes.io/name": "haproxy-gateway"},
		FirstPort: 10000, LastPort: 19999,
	},
}

// TestGolden builds each testdata/*.in.yaml and compares the model (status with conditions, and
// data plane) with testdata/*.out.yaml. Regenerate with: go test ./controller/translate -update
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			snap, opts, in := c.snap, c.opts, c.path
			input := snap.DeepCopy()
			got, err := yaml.Marshal(translate.Build(snap, opts))
			if err != nil {
				t.Fatal(err)
			}
			again, _ := yaml.Marshal(translate.Build(snap, opts))
			if !bytes.Equal(got, again) {
				t.Fatal("two builds of the same input differ")
			}
			// The Kube source shares its objects with the informers' stores.
			if !equality.Semantic.DeepEqual(input, snap) {
				t.Fatal("the build changed the objects it read")
			}
			outPath := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(outPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("model differs from %s (-want +got; run with -update and review the diff):\n%s", outPath, cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// goldenCase is one testdata/*.in.yaml, decoded, and the options it builds with.
type goldenCase struct {
	name, path string
	snap       *snapshot.Snapshot
	opts       translate.Options
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	var out []goldenCase
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := source.Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(in), ".in.yaml"), path: in, snap: snap, opts: goldenOptions}
		if strings.HasPrefix(c.name, "services") {
			c.opts = goldenServiceOptions
		}
		out = append(out, c)
	}
	return out
}
