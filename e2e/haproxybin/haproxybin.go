// Package haproxybin finds the haproxy binary for tests that run a real HAProxy.
package haproxybin

import (
	"os"
	"os/exec"
	"testing"
)

// Required is the environment variable that makes a missing haproxy a failure; make test sets
// it, so a test that must run never passes by skipping.
const Required = "HAPROXY_GATEWAY_REQUIRE_HAPROXY"

// Path returns the path of haproxy. Without one the test is skipped with a message, so that
// `go test ./...` works on a machine without HAProxy, or fails when Required is set.
func Path(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("haproxy")
	if err == nil {
		return path
	}
	if os.Getenv(Required) != "" {
		t.Fatalf("haproxy is not installed (%v): make deps installs it", err)
	}
	t.Skipf("haproxy is not installed: this test runs a real HAProxy (make deps installs it; %s=1 makes this a failure)", Required)
	return ""
}
