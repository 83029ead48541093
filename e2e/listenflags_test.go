package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
)

// TestControllerRefusesSharedListenAddresses: in pool mode, a controller asked to serve its stats
// page and metrics on every address (where a Gateway listener on their port numbers would collide
// with them) does not start, and says why.
func TestControllerRefusesSharedListenAddresses(t *testing.T) {
	cluster.SkipUnlessRunnable(t)
	c := runControllerProcess(t, controllerOptions{everyAddress: true}, "-source", "files", "-files-dir", t.TempDir(), "-address-pool", gatewayPool)
	exited := make(chan error, 1)
	go func() { exited <- c.Cmd.Wait() }()
	select {
	case err := <-exited:
		if err == nil {
			t.Fatal("the controller exited without an error")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the controller runs with its stats page on every address of the Gateway pool")
	}
	if logs := c.logs.String(); !strings.Contains(logs, "listens on every address") {
		t.Errorf("the controller did not say why it stopped:\n%s", logs)
	}
}
