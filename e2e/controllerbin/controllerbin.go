// Package controllerbin runs bin/haproxy-gateway, with its own HAProxy, for the end-to-end tests,
// the conformance run and the benchmark: one way to start it, reach it and stop it.
package controllerbin

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
)

// Options are what differs between the controllers tests run.
type Options struct {
	// Root is the repository, whose bin/haproxy-gateway runs (make build writes it).
	Root string
	// Args come after the common flags; of a flag given twice, the last counts.
	Args []string
	// Logs gets the controller's output.
	Logs io.Writer
	// EveryAddress binds the stats page and the metrics on every address, as the Helm chart does,
	// rather than on 127.0.0.1 only; they are still reached on 127.0.0.1.
	EveryAddress bool
	// Pprof serves the controller's profiles on a free loopback port.
	Pprof bool
	// StopAfter is how long Stop waits after SIGTERM before SIGKILL; 15 s when zero.
	StopAfter time.Duration
}

// Process is one bin/haproxy-gateway. It is stopped by its PID at the test's cleanup, if not
// before; it stops its HAProxy on the way out.
type Process struct {
	Cmd *exec.Cmd
	// Args are the flags it runs with; Started is when it was started.
	Args    []string
	Started time.Time
	// RunDir holds its HAProxy's sockets.
	RunDir string
	// MetricsAddress, StatsAddress and PprofAddress are where its metrics, HAProxy's stats page
	// and (with Options.Pprof) its profiles answer.
	MetricsAddress, StatsAddress, PprofAddress string

	stopAfter time.Duration
	stopOnce  sync.Once
}

// Start runs bin/haproxy-gateway with its own folders, the stats page and metrics on free loopback
// ports, a short hard-stop-after and debug logs, then opts.Args.
func Start(t testing.TB, opts Options) *Process {
	t.Helper()
	binary := filepath.Join(opts.Root, "bin", "haproxy-gateway")
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("%s is missing: run `make build` (make e2e and make bench do)", binary)
	}
	// Not t.TempDir(): unix socket paths must stay short.
	runDir, err := os.MkdirTemp("", "hg-run")
	if err != nil {
		t.Fatal(err)
	}
	metricsPort, statsPort := freeport.String(t), freeport.String(t)
	p := &Process{RunDir: runDir, MetricsAddress: "127.0.0.1:" + metricsPort, StatsAddress: "127.0.0.1:" + statsPort,
		stopAfter: opts.StopAfter}
	if p.stopAfter == 0 {
		p.stopAfter = 15 * time.Second
	}
	bindHost := "127.0.0.1"
	if opts.EveryAddress {
		bindHost = ""
	}
	p.Args = []string{
		"-haproxy-dir", t.TempDir(),
		"-haproxy-run-dir", runDir,
		"-hard-stop-after", "5s",
		"-log-level", "debug",
		"-stats-address", net.JoinHostPort(bindHost, statsPort),
		"-metrics-address", net.JoinHostPort(bindHost, metricsPort),
	}
	if opts.Pprof {
		p.PprofAddress = "127.0.0.1:" + freeport.String(t)
		p.Args = append(p.Args, "-pprof-address", p.PprofAddress)
	}
	p.Args = append(p.Args, opts.Args...)
	// Args may set the addresses and the run folder, as the chart's do: the last one counts.
	for flag, into := range map[string]*string{"-stats-address": &p.StatsAddress, "-metrics-address": &p.MetricsAddress, "-haproxy-run-dir": &p.RunDir} {
		if v, ok := lastFlag(opts.Args, flag); ok {
			*into = v
		}
	}
	p.Cmd = exec.Command(binary, p.Args...)
	p.Cmd.Stdout, p.Cmd.Stderr = opts.Logs, opts.Logs
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.Started = time.Now()
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		os.RemoveAll(runDir)
	})
	return p
}

// lastFlag is the value of the last occurrence of flag in args, as "-flag=value" or "-flag value".
func lastFlag(args []string, flag string) (string, bool) {
	value, found := "", false
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			value, found = v, true
		} else if a == flag && i+1 < len(args) {
			value, found = args[i+1], true
		}
	}
	return value, found
}

// Stop ends the controller by its PID: SIGTERM, then SIGKILL when it has not ended in time. Safe
// to call more than once, and after the process was killed.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		if p.Cmd.ProcessState != nil {
			return
		}
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(p.stopAfter):
			_ = p.Cmd.Process.Kill()
			<-done
		}
	})
}

// MasterSocket and StatsSocket are its HAProxy's master CLI and stats socket.
func (p *Process) MasterSocket() string { return filepath.Join(p.RunDir, "master.sock") }
func (p *Process) StatsSocket() string  { return filepath.Join(p.RunDir, "stats.sock") }

// MetricSamples returns the controller's metrics whose line starts with prefix, by sample.
func (p *Process) MetricSamples(prefix string) (map[string]float64, error) {
	return Metrics(p.MetricsAddress, prefix)
}

// Metrics reads the Prometheus metrics served on address and returns the samples whose line
// starts with prefix: by the sample's name with its labels ("name{label=...}"), its value.
func Metrics(address, prefix string) (map[string]float64, error) {
	resp, err := http.Get("http://" + address + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("metrics at %s: %w", address, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics at %s: %s", address, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %q: %w", line, err)
		}
		out[line[:i]] = v
	}
	return out, nil
}

// CPUProfile fetches a CPU profile of the controller over seconds into path (Options.Pprof).
func (p *Process) CPUProfile(seconds int, path string) error {
	return p.profile(fmt.Sprintf("profile?seconds=%d", seconds), time.Duration(seconds+30)*time.Second, path)
}

// HeapProfile fetches the controller's heap profile, taken after a garbage collection, into path.
func (p *Process) HeapProfile(path string) error {
	return p.profile("heap?gc=1", 30*time.Second, path)
}

func (p *Process) profile(query string, timeout time.Duration, path string) error {
	if p.PprofAddress == "" {
		return fmt.Errorf("the controller serves no profiles (Options.Pprof)")
	}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(fmt.Sprintf("http://%s/debug/pprof/%s", p.PprofAddress, query))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
