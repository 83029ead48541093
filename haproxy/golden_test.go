package haproxy

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// goldenSettings use fixed paths so the output does not depend on where the test runs.
var goldenSettings = Settings{
	Dir:                "/var/lib/haproxy-gateway",
	RunDir:             "/run/haproxy-gateway",
	StatsAddress:       "127.0.0.1:8404",
	HardStopAfter:      5 * time.Minute,
	IdleTimeout:        time.Hour,
	DefaultCertificate: []byte("default certificate"),
	SpareBackends:      2,
	HTTPSpareBackends:  2,
}

// TestGoldenConfig renders the data plane of every model the build goldens produce
// (controller/translate/testdata/*.out.yaml) and compares haproxy.cfg, maps and crt-lists with
// testdata/*.cfg. Secret files are shown by name and size only. Regenerate with -update.
func TestGoldenConfig(t *testing.T) {
	for name, m := range goldenModels(t) {
		t.Run(name, func(t *testing.T) {
			cfg, err := Render(m.DataPlane, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(cfg)
			if again, _ := Render(m.DataPlane, goldenSettings); !bytes.Equal(dump(again), got) {
				t.Fatal("two renders of the same model differ")
			}
			if bytes.Contains(cfg.Text(), []byte("acl ")) {
				t.Error("haproxy.cfg has an inline ACL; SNI routing must go through maps")
			}
			compareGolden(t, filepath.Join("testdata", name+".cfg"), got)
		})
	}
}

// goldenModels are the models the build goldens produce (controller/translate/testdata/*.out.yaml),
// by name.
func goldenModels(t *testing.T) map[string]model.Model {
	t.Helper()
	paths, _ := filepath.Glob("../controller/translate/testdata/*.out.yaml")
	if len(paths) == 0 {
		t.Fatal("no models")
	}
	models := map[string]model.Model{}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m model.Model
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		models[strings.TrimSuffix(filepath.Base(path), ".out.yaml")] = m
	}
	return models
}

// TestGoldenStatsAuth renders the stats frontend asking for a user whose password needs quoting
// (testdata/stats-auth.cfg): haproxy.cfg then holds the password and is marked secret.
func TestGoldenStatsAuth(t *testing.T) {
	s := goldenSettings
	s.StatsAuth = &StatsAuth{Username: "prometheus", Password: `s3cr'et"$HOME#\x`}
	cfg, err := Render(model.DataPlane{}, s)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TextSecret {
		t.Error("haproxy.cfg with a password is not marked secret")
	}
	compareGolden(t, filepath.Join("testdata", "stats-auth.cfg"), dump(cfg))
}

// compareGolden compares got with the golden file, or rewrites it with -update.
func compareGolden(t *testing.T, goldenPath string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rendered configuration differs from %s (-want +got; run `go test ./haproxy -run Golden -update` and review the diff):\n%s",
			goldenPath, cmp.Diff(string(want), string(got)))
	}
}

// dump lays out a configuration as one text: haproxy.cfg, then each file by path.
func dump(cfg *Config) []byte {
	var b bytes.Buffer
	if cfg.TextSecret {
		b.WriteString("### haproxy.cfg (secret, mode 0600)\n")
	} else {
		b.WriteString("### haproxy.cfg\n")
	}
	b.Write(cfg.Text())
	var paths []string
	for p := range cfg.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := cfg.Files[p]
		if f.Secret {
			fmt.Fprintf(&b, "### %s (secret, mode 0600, %d bytes)\n", p, len(f.Content()))
			continue
		}
		if filepath.Base(p) == "router.lua" {
			// The router's code is the same in every configuration (TestRouterLive runs it); the
			// maps it opens are what a configuration decides.
			fmt.Fprintf(&b, "### %s (the maps it opens)\n", p)
			for _, line := range strings.SplitAfter(string(f.Content()), "\n") {
				if strings.Contains(line, "Map.new(") {
					b.WriteString(line)
				}
			}
			continue
		}
		fmt.Fprintf(&b, "### %s\n%s", p, f.Content())
	}
	return b.Bytes()
}
