package bench

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReadPerf records a real process that spends its time in the kernel (reading /dev/zero and
// writing to /dev/null a byte at a time) and reads the recording: the kernel leads the objects,
// and its system calls and the writes among them are in what the kernel did.
func TestReadPerf(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: linux-perf); make bench installs it")
	}
	busy := exec.Command("dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=100000000")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Process.Kill(); _ = busy.Wait() }()
	out := filepath.Join(t.TempDir(), "perf.data")
	if err := RecordPerf(busy.Process.Pid, time.Second, out); err != nil {
		t.Fatal(err)
	}
	prof, err := ReadPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", prof)
	if prof.Samples == "?" || len(prof.Objects) == 0 || !strings.Contains(prof.Objects[0].Name, "kernel") {
		t.Errorf("objects %+v (%s samples): want the kernel first", prof.Objects, prof.Samples)
	}
	var names []string
	for _, k := range prof.Kernel {
		names = append(names, k.Name)
	}
	for _, want := range []string{"do_syscall_64", "ksys_write"} {
		if !slices.Contains(names, want) {
			t.Errorf("kernel entries %v: want %s", names, want)
		}
	}
}
