package haproxy

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/procs"
)

// The master and its worker run with glibc's huge page tunable, and where the kernel gives huge
// pages on request the worker's heap has them.
func TestHAProxyHeapAsksForHugePages(t *testing.T) {
	master := startLargeMaster(t, nil)
	workers, _, err := master.Workers()
	if err != nil || len(workers) == 0 {
		t.Fatalf("workers %v: %v", workers, err)
	}
	for _, pid := range []int{master.cmd.Process.Pid, workers[0]} {
		if got := environmentOf(t, pid); !slices.Contains(got, hugePagesTunable) {
			t.Errorf("process %d runs without %s; its GLIBC_TUNABLES: %q", pid, hugePagesTunable, lookup(got, "GLIBC_TUNABLES"))
		}
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		t.Skipf("the kernel gives no transparent huge pages here (%q, %v): the worker's heap cannot show them", mode, err)
	}
	huge, err := procs.KiB(workers[0], "smaps_rollup", "AnonHugePages")
	if err != nil {
		t.Fatal(err)
	}
	if huge == 0 {
		t.Errorf("the worker loaded 5,000 backends with no huge page in its heap (transparent_hugepage: %s)", strings.TrimSpace(string(mode)))
	}
}

// An operator's own GLIBC_TUNABLES reaches HAProxy as it is, without the huge page tunable.
func TestHAProxyKeepsTheOperatorsTunables(t *testing.T) {
	const own = "glibc.malloc.arena_max=2"
	t.Setenv("GLIBC_TUNABLES", own)
	master := startLargeMaster(t, nil)
	if got := lookup(environmentOf(t, master.cmd.Process.Pid), "GLIBC_TUNABLES"); got != own {
		t.Fatalf("HAProxy's GLIBC_TUNABLES is %q, the controller's %q", got, own)
	}
}

// environmentOf is a process's environment, one "name=value" each.
func environmentOf(t *testing.T, pid int) []string {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// lookup is the value of name in env, "" when it is not there.
func lookup(env []string, name string) string {
	for _, kv := range env {
		if value, ok := strings.CutPrefix(kv, name+"="); ok {
			return value
		}
	}
	return ""
}
