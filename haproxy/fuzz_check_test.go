package haproxy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// The property every fuzz target checks of what the build lets through: the data plane it renders
// is read by HAProxy exactly as meant. "haproxy -c" accepts it; no input string adds a line to
// haproxy.cfg, a map or a crt-list, or names a file; runtime commands carry each argument whole.

// fuzzDefaultCertificate is made once per process, like the Secrets' certificate.
var fuzzDefaultCertificate = sync.OnceValues(NewDefaultCertificate)

// check renders a data plane, checks its shape and runs "haproxy -c" on it, unless HAProxy
// already accepted the same configuration.
func (r *fuzzRig) check(t *testing.T, dp model.DataPlane) *Config {
	t.Helper()
	defaultCert, err := fuzzDefaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings{Dir: r.checkDir, RunDir: r.checkDir, StatsAddress: "127.0.0.1:8404", DefaultCertificate: defaultCert, SpareBackends: 2}
	cfg, err := Render(dp, settings)
	if err != nil {
		t.Fatal(err)
	}
	checkFileNames(t, cfg, r.checkDir)
	checkMapLines(t, cfg)
	checkCrtListLines(t, cfg)
	checkConfigLines(t, dp, cfg, settings)
	if t.Failed() {
		t.FailNow() // HAProxy would read something else than what was rendered
	}
	sum := configSum(cfg)
	if r.checked[sum] {
		return cfg
	}
	path := filepath.Join(r.checkDir, "haproxy.cfg")
	if err := writeFiles(path, cfg); err != nil {
		t.Fatalf("write the configuration: %v", err)
	}
	if err := CheckConfig(context.Background(), haproxyBinary(t), path); err != nil {
		t.Fatalf("the build let through a configuration HAProxy refuses: %v", err)
	}
	r.checked[sum] = true
	return cfg
}

// configSum identifies a configuration by everything HAProxy reads.
func configSum(cfg *Config) [32]byte {
	h := sha256.New()
	h.Write(cfg.Text())
	for _, path := range sortedKeys(cfg.Files) {
		content := cfg.Files[path].Content()
		fmt.Fprintf(h, "\x00%s\x00%d\x00", path, len(content))
		h.Write(content)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// fileNamePattern is every file name Render may write: a kind letter and a 16-digit hash, a
// suffix naming the lookup, or one of the files there is one of (the default certificate, the
// HTTP backends map, the router).
var fileNamePattern = regexp.MustCompile(`^(maps/s[0-9a-f]{16}\.((sni|terminate|host)(-wildcard)?|http-routes|http-rules)\.map|crt-lists/s[0-9a-f]{16}(\.https)?\.crtlist|certs/c[0-9a-f]{16}\.pem|certs/default\.pem|maps/http-backends\.map|router\.lua)$`)

func checkFileNames(t *testing.T, cfg *Config, dir string) {
	t.Helper()
	for path := range cfg.Files {
		rel, err := filepath.Rel(dir, path)
		if err != nil || !fileNamePattern.MatchString(rel) || len(filepath.Base(path)) > 255 {
			t.Errorf("file %q is not a bounded hash under the configuration folder", path)
		}
	}
	// A unix socket path has room for 107 bytes.
	for _, m := range regexp.MustCompile(`unix@(\S+)`).FindAllSubmatch(cfg.Text(), -1) {
		if len(m[1]) > 107 || !strings.HasPrefix(string(m[1]), dir+"/") {
			t.Errorf("socket path %q is not a short path in the run folder", m[1])
		}
	}
}

// A map line is "<key> <value>", both printable ASCII without spaces.
var mapLinePattern = regexp.MustCompile(`^[!-~]+ [!-~]+$`)

func checkMapLines(t *testing.T, cfg *Config) {
	t.Helper()
	for path := range cfg.Maps {
		for _, line := range fileLines(cfg.Files[path].Content()) {
			if !mapLinePattern.MatchString(line) {
				t.Errorf("map %s has the line %q, not two fields", filepath.Base(path), line)
			}
		}
	}
}

// A crt-list line is a certificate file this configuration writes, then server name filters:
// names, never "!" (a negative filter) or "[" (SSL options).
var sniFilterPattern = regexp.MustCompile(`^[a-z0-9*][a-z0-9.*-]*$`)

func checkCrtListLines(t *testing.T, cfg *Config) {
	t.Helper()
	for path := range cfg.CrtLists {
		for _, line := range fileLines(cfg.Files[path].Content()) {
			fields := strings.Split(line, " ")
			if !cfg.Certs[fields[0]] {
				t.Errorf("crt-list %s names %q, which is not a certificate of the configuration", filepath.Base(path), fields[0])
			}
			for _, f := range fields[1:] {
				if !sniFilterPattern.MatchString(f) {
					t.Errorf("crt-list %s has the filter %q in line %q", filepath.Base(path), f, line)
				}
			}
		}
	}
}

// fileLines splits a file into lines; every line ends with a newline, and none is a lone "\r".
func fileLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
}

// checkRuntimeOps checks the commands of a plan: each argument is one word of the runtime API, and
// no command holds ";" or a new line. The Manager turns a plan with an unsafe argument into a
// reload; the build should never let one through, so that reason is a failure too.
func checkRuntimeOps(t *testing.T, p Plan) {
	t.Helper()
	for _, op := range p.Ops {
		if arg := op.unsafeArgument(); arg != "" {
			t.Errorf("%s has the unsafe argument %q", op.Kind, arg)
		}
		// A map replacement is several commands; its Command() only describes them, and its
		// map and entries are checked as arguments above.
		if op.Kind != ReplaceMap && strings.ContainsAny(op.Command(), ";\r\n") {
			t.Errorf("runtime command %q holds a command separator", op.Command())
		}
	}
	for _, r := range p.Reasons {
		if r.Kind == UnsafeRuntimeArgument {
			t.Errorf("the build let through a string the runtime API cannot take: %s", r.Detail)
		}
	}
}
