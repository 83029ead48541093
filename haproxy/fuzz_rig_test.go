package haproxy

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
)

// fuzzRig is what a fuzz target checks its inputs with: a folder for "haproxy -c", the
// configurations HAProxy already accepted (most inputs are refused by the build, which leaves the
// same configuration), and a running HAProxy for runtime changes.
//
// Starting HAProxy costs about a second, far more than an input, so there is one per process,
// started by the first input that needs it: "go test" runs the seed corpus in one process, and
// "go test -fuzz" runs each worker in its own. The fuzz target stops it in f.Cleanup. The fuzzing
// engine kills a worker that does not stop within two seconds, and cleanups do not run then, so
// the master is started here, not by the Manager, with a parent-death signal: it dies with the
// process.
type fuzzRig struct {
	checkDir, runDir string
	checked          map[[32]byte]bool

	once    sync.Once
	err     error
	master  *Master
	manager *Manager
	// inputs counts inputs for targets that reload only every few; each says which it counts.
	inputs int
}

func newFuzzRig(f *testing.F) *fuzzRig {
	r := &fuzzRig{checkDir: f.TempDir(), runDir: f.TempDir(), checked: map[[32]byte]bool{}}
	f.Cleanup(r.stop)
	return r
}

func (r *fuzzRig) get(t *testing.T) *Manager {
	t.Helper()
	r.once.Do(func() { r.err = r.start(t) })
	if r.err != nil {
		t.Fatalf("start HAProxy: %v", r.err)
	}
	return r.manager
}

func (r *fuzzRig) start(t *testing.T) error {
	haproxybin.Path(t)
	defaultCert, err := fuzzDefaultCertificate()
	if err != nil {
		return err
	}
	settings := Settings{Dir: filepath.Join(r.runDir, "etc"), RunDir: r.runDir, StatsAddress: "127.0.0.1:" + freeport.String(t),
		HardStopAfter: 5 * time.Second, IdleTimeout: time.Minute, DefaultCertificate: defaultCert, SpareBackends: 2}
	empty, err := Render(model.DataPlane{}, settings)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(settings.Dir, "haproxy.cfg")
	if err := writeFiles(cfgPath, empty); err != nil {
		return err
	}
	socket := filepath.Join(r.runDir, "master.sock")
	cmd := exec.Command("haproxy", "-W", "-S", socket+",mode,600", "-f", cfgPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	// A Master of this process's own, which the Manager then attaches to: stop ends it by its pid.
	r.master = &Master{socket: socket, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.master.exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.manager, err = NewManager(ctx, ManagerOptions{Binary: "haproxy", Settings: settings, MasterSocket: socket, ReloadTimeout: 20 * time.Second})
	return err
}

// stop ends the master this process started, by its pid.
func (r *fuzzRig) stop() {
	if r.master != nil {
		r.master.Stop()
	}
}

// apply applies a data plane and fails on what must never happen whatever the input: HAProxy not
// running it, a runtime command failing or reading back otherwise, an unsafe command.
func (r *fuzzRig) apply(t *testing.T, step string, dp model.DataPlane) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := r.get(t).Apply(ctx, dp)
	checkRuntimeOps(t, res.Plan)
	if res.Err != nil || res.RuntimeErr != nil {
		t.Fatalf("%s: HAProxy did not take the change (%s): %v; runtime API: %v", step, res.Plan, res.Err, res.RuntimeErr)
	}
	if !res.Plan.Empty() {
		r.readBackAll(t, step)
	}
	return res
}

// applyRuntime applies a change that the runtime API makes alone: a reload fails it. It reports
// whether anything changed.
func (r *fuzzRig) applyRuntime(t *testing.T, step string, dp model.DataPlane) bool {
	t.Helper()
	res := r.apply(t, step, dp)
	if res.Plan.Reload {
		t.Fatalf("%s: reloaded (%s), want runtime commands only", step, res.Plan)
	}
	return !res.Plan.Empty()
}

// forceReload starts new workers, so that route backends added on spares get sections of their own
// and the next runtime commands name them directly.
func (r *fuzzRig) forceReload(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res := r.get(t).Reload(ctx); res.Err != nil {
		t.Fatalf("forced reload: %v", res.Err)
	}
}

// readBackAll asks the workers for every map and every route backend's servers, not only what the
// last change touched, and compares them with the configuration they should run.
func (r *fuzzRig) readBackAll(t *testing.T, step string) {
	t.Helper()
	m := r.manager
	var everything []Op
	for _, path := range sortedKeys(m.live.Config.Maps) {
		everything = append(everything, Op{Kind: AddMapEntry, Map: path})
	}
	for _, backend := range sortedKeys(bySection(m.live.Config.Servers.Map(), m.live.Spares)) {
		everything = append(everything, Op{Kind: AddServer, Backend: backend})
	}
	if err := m.runtime.readBack(everything, m.live.Config, m.live.Spares, m.live.Leaving); err != nil {
		t.Fatalf("%s: HAProxy runs something else than the configuration: %v", step, err)
	}
}
