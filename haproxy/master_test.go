package haproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A master that loads a large configuration answers nothing for as long as that takes, and has
// not failed: Reload waits it out, though the silence lasts many times its timeout, and then
// finds the new worker. The configuration is large enough that HAProxy takes a second or more to
// load it (much longer than the timeout) and small enough for a test.
func TestReloadWaitsWhileTheMasterLoads(t *testing.T) {
	binary := haproxyBinary(t)
	dir := t.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    stats socket %s level admin\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n",
		filepath.Join(dir, "stats.sock"))
	for i := range 5000 {
		fmt.Fprintf(&cfg, "backend b%d\n    server s 127.0.0.1:9 weight 1\n", i)
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	master, err := StartMaster(ctx, binary, cfgPath, filepath.Join(dir, "master.sock"), testWriter{t: t})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(master.Stop)
	before, _, err := master.Workers()
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 50 * time.Millisecond
	start := time.Now()
	if err := master.Reload(ctx, timeout); err != nil {
		t.Fatalf("reload after %s: %v", time.Since(start), err)
	}
	took := time.Since(start)
	after, _, err := master.Workers()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) == fmt.Sprint(before) {
		t.Fatalf("workers %v before and after the reload", after)
	}
	// Otherwise the test shows nothing: the master was never silent for longer than the timeout.
	if took < 4*timeout {
		t.Fatalf("the reload took %s, not much longer than the timeout %s: the configuration is too small to show the wait", took, timeout)
	}
	t.Logf("reload took %s with a timeout of %s", took, timeout)
}
