package cluster

import (
	"context"
	"os"
	"testing"
	"time"
)

// SkipUnlessRunnable skips a test that needs a control plane where none can run: it needs root
// inside the private network namespace of e2e/netns.sh, which sets HAPROXY_GATEWAY_E2E.
func SkipUnlessRunnable(t testing.TB) {
	t.Helper()
	if os.Getenv("HAPROXY_GATEWAY_E2E") == "" || os.Geteuid() != 0 {
		t.Skip("needs root in a private network namespace: run `make e2e` (HAPROXY_GATEWAY_E2E=1 bash e2e/netns.sh go test ...)")
	}
}

// StartForTest starts a control plane for one test and stops it when the test ends, or skips the
// test where none can run.
func StartForTest(t testing.TB) *Cluster {
	t.Helper()
	return StartForTestWith(t, Options{})
}

// StartForTestWith is StartForTest with options.
func StartForTestWith(t testing.TB, opts Options) *Cluster {
	t.Helper()
	SkipUnlessRunnable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}
