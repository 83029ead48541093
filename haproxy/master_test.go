package haproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A master that loads a large configuration answers nothing for as long as that takes, and has
// not failed: Reload waits it out, though the silence lasts many times its timeout, and then
// finds the new worker.
func TestReloadWaitsWhileTheMasterLoads(t *testing.T) {
	master := startLargeMaster(t, nil)
	before, _, err := master.Workers()
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 50 * time.Millisecond
	start := time.Now()
	if err := master.Reload(t.Context(), timeout); err != nil {
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

// The new worker serves before its master answers again: ReloadServing ends when a process that
// is not one of the old workers answers on the stats socket, and that process is the worker the
// master lists once it answers.
func TestReloadEndsWhenTheNewWorkerAnswers(t *testing.T) {
	master := startLargeMaster(t, nil)
	statsSocket := filepath.Join(filepath.Dir(master.socket), "stats.sock")
	before, _, err := master.Workers()
	if err != nil {
		t.Fatal(err)
	}
	workers, err := master.ReloadServing(t.Context(), time.Minute, statsSocket)
	if err != nil {
		t.Fatal(err)
	}
	served := time.Now()
	if len(workers) != 1 || slices.Contains(before, workers[0]) {
		t.Fatalf("workers %v after the reload, %v before it", workers, before)
	}
	// Set only when the stats socket, not the master, ended the reload.
	if !master.finishing.Load() {
		t.Fatal("the reload ended on the master's answer, not on the new worker's")
	}
	out, err := CLICommand(statsSocket, "show info")
	if err != nil {
		t.Fatal(err)
	}
	if pid := InfoPID(out); pid != workers[0] {
		t.Fatalf("the stats socket is answered by process %d, not the new worker %d", pid, workers[0])
	}
	after, err := master.procsAnswering(t.Context(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the master answered %s after the new worker", time.Since(served).Round(time.Millisecond))
	if !slices.Equal(after.Current, workers) {
		t.Fatalf("the master runs workers %v, the reload saw %v", after.Current, workers)
	}
}

// A master that dies while it is silent ends the wait at once: waiting out the silence limit would
// hold every change (and the restart of HAProxy) for minutes.
func TestReloadEndsWhenTheMasterDies(t *testing.T) {
	output := &outputLines{}
	master := startLargeMaster(t, output)
	failed := make(chan error, 1)
	go func() { failed <- master.Reload(t.Context(), 50*time.Millisecond) }()
	// The master says so when it begins to reload; it reads the configuration before it answers
	// again.
	for !slices.ContainsFunc(output.all(), func(line string) bool { return strings.Contains(line, "Reloading HAProxy") }) {
		select {
		case err := <-failed:
			t.Fatalf("reload ended before the master began it: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	if err := master.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("reload succeeded with its master killed")
		}
		t.Logf("reload: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("reload still waiting 10s after its master was killed")
	}
}

// startLargeMaster starts a master on 5,000 backends: enough for HAProxy to take a good part of a
// second to load them, much longer than the timeouts the tests give. Its output goes to the test's
// log, and to output unless that is nil.
func startLargeMaster(t *testing.T, output *outputLines) *Master {
	t.Helper()
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
	master, err := StartMaster(ctx, binary, cfgPath, filepath.Join(dir, "master.sock"), testWriter{t: t, output: output})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(master.Stop)
	return master
}

// A master socket that is not there is no master finishing a reload: Procs says so at once
// instead of waiting for an answer that cannot come.
func TestProcsWithoutASocketFailsAtOnce(t *testing.T) {
	start := time.Now()
	if _, err := AttachMaster(filepath.Join(t.TempDir(), "master.sock")).Procs(); err == nil {
		t.Fatal("show proc answered without a master")
	}
	if waited := time.Since(start); waited > procsWait/2 {
		t.Fatalf("waited %s for a socket that is not there", waited)
	}
}
