package haproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Manager keeps one HAProxy in step with the data plane model.
type Manager struct {
	binary        string
	settings      Settings
	reloadTimeout time.Duration

	mu     sync.Mutex
	master *Master
	// live is what the workers run, and liveModel the data plane it was rendered from.
	live      *Live
	liveModel model.DataPlane
	runtime   *runtimeAPI
	// workers are the current workers' PIDs as this Manager last saw them: a different set it did
	// not ask for means HAProxy restarted them from the files (see Supervise).
	workers []int
	reloads reloadLimiter
	// resumed says what a Manager found running at start, for the log.
	resumed string
	// output gets the log of a master this Manager starts again (see Supervise).
	output io.Writer
	// stopped is set by Stop: a master that ends then is not started again.
	stopped bool
	// state saves what the workers run for the next controller process.
	state *stateSaver
	// files writes the files of what the workers run; supervised is when Supervise last looked
	// at the workers.
	files      *fileWriter
	supervised time.Time
	// startedEmpty is set from the start of HAProxy with the empty configuration by this Manager
	// to the first reload: while the workers still serve nothing, that reload goes without the
	// check (see reload).
	startedEmpty bool
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	Binary   string
	Settings Settings
	// MasterSocket attaches to a master started by something else that reads
	// Settings.Dir/haproxy.cfg; empty means start and supervise one.
	MasterSocket  string
	ReloadTimeout time.Duration
	// Output receives HAProxy's own log lines when the Manager starts it.
	Output io.Writer
	// MinReloadInterval is the least time between two reloads; a reload due sooner waits, the
	// runtime part of its change goes out at once (see Result.Deferred).
	MinReloadInterval time.Duration
}

// Result is what one Apply did.
type Result struct {
	Plan Plan
	// RuntimeErr is set when runtime commands failed and a reload was done instead.
	RuntimeErr error
	// Err is set when HAProxy does not run the wanted configuration; the previous one still serves.
	Err error
	// RuntimePart is what was sent through the runtime API after the reload Plan asked for
	// failed: the part of the change that needs no reload (see applyRuntimePart).
	// RuntimePartErr is set when that failed too.
	RuntimePart    Plan
	RuntimePartErr error
	// Deferred is set when the change needs a reload that the reload rate limit holds back this
	// long; apply the newest data plane again then. Nothing failed; RuntimePart went out already.
	Deferred time.Duration
	// ReloadTook is how long HAProxy took to load the configuration: from the reload command to
	// its new workers answering.
	ReloadTook time.Duration
}

// Reloaded reports whether HAProxy got new workers for this change.
func (r Result) Reloaded() bool { return r.Plan.Reload && r.Err == nil && r.Deferred == 0 }

// NewManager prepares the directories, writes an empty configuration and starts (or attaches to)
// the HAProxy master.
func NewManager(ctx context.Context, opts ManagerOptions) (*Manager, error) {
	if opts.ReloadTimeout == 0 {
		opts.ReloadTimeout = 10 * time.Second
	}
	for _, dir := range []string{opts.Settings.Dir, opts.Settings.RunDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	m := &Manager{binary: opts.Binary, settings: opts.Settings, reloadTimeout: opts.ReloadTimeout,
		reloads: reloadLimiter{interval: opts.MinReloadInterval}, output: opts.Output,
		runtime: newRuntimeAPI(filepath.Join(opts.Settings.RunDir, "stats.sock"))}
	m.state = &stateSaver{path: m.statePath()}
	m.files = newFileWriter(m.configPath())
	empty, err := Render(model.DataPlane{}, opts.Settings)
	if err != nil {
		return nil, err
	}
	if err := m.check(ctx, nil, model.DataPlane{}, opts.Settings); err != nil {
		return nil, err
	}
	if opts.MasterSocket != "" {
		if err := m.attach(ctx, opts.MasterSocket, empty); err != nil {
			return nil, err
		}
		m.resume()
		return m, nil
	}
	socket := m.masterSocket()
	// A master left by an earlier controller process keeps serving: one HAProxy, always.
	if master := AdoptMaster(socket); master != nil {
		m.master = master
		m.resume()
		m.resumed = fmt.Sprintf("adopted the running HAProxy master (PID %d); %s", master.pid, m.resumed)
		return m, nil
	}
	if err := m.files.write(empty); err != nil {
		return nil, err
	}
	master, err := StartMaster(ctx, opts.Binary, m.configPath(), socket, opts.Output)
	if err != nil {
		return nil, err
	}
	m.master = master
	m.setLive(Started(empty), model.DataPlane{}, true)
	m.startedEmpty = true
	m.resumed = "started HAProxy"
	return m, nil
}

// Resumed says what the Manager found at start: an HAProxy it started, or one already running
// and whether its configuration is known (then the first change needs no reload).
func (m *Manager) Resumed() string { return m.resumed }

// attach drives a master something else starts, like the HAProxy container beside the controller
// in a pod, which waits for a configuration to exist. It gets the empty one unless one is there
// already (a restarted controller finds the one HAProxy runs, see resume).
func (m *Manager) attach(ctx context.Context, socket string, empty *Config) error {
	if _, err := os.Stat(m.configPath()); errors.Is(err, fs.ErrNotExist) {
		if err := writeFiles(m.configPath(), empty); err != nil {
			return err
		}
	}
	m.master = AttachMaster(socket)
	return m.master.WaitReady(ctx, attachTimeout)
}

// attachTimeout is how long an attached master may take to start its first worker.
const attachTimeout = 2 * time.Minute

func (m *Manager) configPath() string { return filepath.Join(m.settings.Dir, "haproxy.cfg") }

func (m *Manager) masterSocket() string { return filepath.Join(m.settings.RunDir, "master.sock") }

// Master returns the HAProxy master this Manager drives now.
func (m *Manager) Master() *Master {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.master
}

// Apply makes HAProxy run the data plane. A configuration HAProxy rejects never replaces the
// running one: it is checked in a staging folder first, and the files of the running one are put
// back when a reload fails.
func (m *Manager) Apply(ctx context.Context, dp model.DataPlane) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.apply(ctx, dp)
}

// ApplyServers is Apply for a data plane that differs from the running one only in the servers
// of the backends named by changed (what a change of EndpointSlices does): only their servers
// are compared and rendered again, so the cost follows the change, not the configuration. When
// that does not hold, or the runtime API fails, it does what Apply does.
func (m *Manager) ApplyServers(ctx context.Context, dp model.DataPlane, changed []model.BackendID) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil || len(dp.Backends) != len(m.liveModel.Backends) || m.files.failed() != nil {
		return m.apply(ctx, dp)
	}
	backends, ok := backendsOf(dp.Backends, changed)
	if !ok {
		return m.apply(ctx, dp)
	}
	wanted, ok := m.live.Config.withServers(backends)
	if !ok {
		return m.apply(ctx, dp)
	}
	running, servers := map[string][]ServerLine{}, map[string][]ServerLine{}
	for _, b := range backends {
		name := backendName(b.ID)
		running[name], _ = m.live.Config.Servers.Get(name)
		servers[name], _ = wanted.Servers.Get(name)
	}
	in, out := serverOps(bySection(running, m.live.Spares), bySection(servers, m.live.Spares))
	casIn, casOut, tooLarge := caFileOps(m.live.Config, wanted)
	if tooLarge != "" {
		return m.apply(ctx, dp)
	}
	plan := checkOps(Plan{Ops: slices.Concat(casIn, in, out, casOut), Spares: m.live.Spares})
	if plan.Reload {
		return m.apply(ctx, dp)
	}
	live := m.live.After(plan, wanted)
	if !plan.Empty() {
		var err error
		if live, err = m.applyRuntime(ctx, plan, wanted); err != nil {
			return m.reloadAfter(ctx, err, dp, wanted, plan)
		}
	}
	m.setLive(live, dp, false)
	return Result{Plan: plan}
}

// backendsOf finds the backends of ids in backends, which are in the model's order (by ID);
// false when one is missing.
func backendsOf(backends []*model.Backend, ids []model.BackendID) ([]*model.Backend, bool) {
	out := make([]*model.Backend, 0, len(ids))
	for _, id := range ids {
		i, found := slices.BinarySearchFunc(backends, id, func(b *model.Backend, id model.BackendID) int { return model.CompareBackendIDs(b.ID, id) })
		if !found {
			if i = slices.IndexFunc(backends, func(b *model.Backend) bool { return b.ID == id }); i < 0 {
				return nil, false
			}
		}
		out = append(out, backends[i])
	}
	return out, true
}

// reloadAfter reloads when the runtime API failed to carry out plan: part of its ops may have
// run, and a reload from the files sets everything straight.
func (m *Manager) reloadAfter(ctx context.Context, err error, dp model.DataPlane, wanted *Config, plan Plan) Result {
	kind := RuntimeFailed
	if errors.As(err, new(*readBackError)) {
		kind = RuntimeDisagrees
	}
	plan.Reload, plan.Reasons = true, []Reason{{kind, err.Error()}}
	result := m.reload(ctx, dp, wanted, plan)
	result.RuntimeErr = err
	return result
}

// apply is Apply with mu held.
func (m *Manager) apply(ctx context.Context, dp model.DataPlane) Result {
	wanted, err := renderFrom(m.running(), dp, m.liveSettings())
	if err != nil {
		return Result{Err: err}
	}
	plan := PlanChange(m.live, wanted)
	if plan.Empty() {
		m.adopt(dp, wanted)
		return Result{Plan: plan}
	}
	if err := m.files.failed(); err != nil && !plan.Reload {
		// What runs is not on disk: a reload writes the files again, or says why it cannot.
		plan = reload(WriteFailed, fmt.Sprintf("write configuration: %v", err))
	}
	if !plan.Reload {
		live, err := m.applyRuntime(ctx, plan, wanted)
		if err == nil {
			m.setLive(live, dp, false)
			return Result{Plan: plan}
		}
		return m.reloadAfter(ctx, err, dp, wanted, plan)
	}
	if wait := m.reloads.wait(time.Now()); wait > 0 && m.live != nil {
		result := Result{Plan: plan, Deferred: wait}
		result.RuntimePart, result.RuntimePartErr = m.applyRuntimePart(ctx, dp)
		return result
	}
	result := m.reload(ctx, dp, wanted, plan)
	if result.Err != nil {
		result.RuntimePart, result.RuntimePartErr = m.applyRuntimePart(ctx, dp)
	}
	return result
}

// Reload starts new workers on the configuration that runs now, for example to free the spare
// backends that routes added since the last reload are using.
func (m *Manager) Reload(ctx context.Context) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		return Result{Err: errors.New("no configuration applied yet")}
	}
	return m.reload(ctx, m.liveModel, m.live.Config, reload(Forced, "reload asked for"))
}

// readBackError is a runtime API change that HAProxy accepted but does not show.
type readBackError struct{ err error }

func (e *readBackError) Error() string { return "read back: " + e.err.Error() }

// applyRuntime runs the plan's ops on the live workers, with the deletions that wait and are due
// (see leaving.schedule), and reads back what they changed; it hands the same state over to be
// written to the files, so that a later reload keeps it, and returns what the workers run then.
func (m *Manager) applyRuntime(ctx context.Context, plan Plan, wanted *Config) (*Live, error) {
	api := m.runtime
	ops, leaving := m.live.Leaving.schedule(plan.Ops, time.Now(), leavingDelay)
	err := api.batch(func() error {
		if err := api.run(ops); err != nil {
			return err
		}
		if err := api.readBack(ops, wanted, plan.Spares, leaving); err != nil {
			return &readBackError{err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if wanted != m.live.Config {
		m.files.writeLater(wanted)
	}
	live := m.live.After(plan, wanted)
	live.Leaving = leaving
	return live, nil
}

// deleteLeaving deletes what waits for deletion and is due (see leavingDelay). When that fails,
// it reloads, which leaves nothing to delete, and says so.
func (m *Manager) deleteLeaving(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil || !m.live.Leaving.due(time.Now()) {
		return "", nil
	}
	plan := Plan{Spares: m.live.Spares}
	live, err := m.applyRuntime(ctx, plan, m.live.Config)
	if err == nil {
		m.setLive(live, m.liveModel, false)
		return "", nil
	}
	result := m.reloadAfter(ctx, err, m.liveModel, m.live.Config, plan)
	return fmt.Sprintf("deleting servers that left the configuration failed (%v); reloaded", err), result.Err
}

// liveSettings are the settings with the spare pool of the configuration that runs: a change
// planned without a reload keeps its size.
func (m *Manager) liveSettings() Settings {
	s := m.settings
	if m.live != nil {
		s.SpareBackends, s.HTTPSpareBackends = m.live.Config.spareCount(false), m.live.Config.spareCount(true)
	}
	return s
}

// reload checks, writes and loads a configuration into new workers, with the spare pool sized
// for what comes next (see sparePool).
func (m *Manager) reload(ctx context.Context, dp model.DataPlane, wanted *Config, plan Plan) Result {
	s := m.settings
	s.SpareBackends = sparePool(m.settings.SpareBackends, routeBackends(dp, false), ranOut(plan, false))
	s.HTTPSpareBackends = 0
	if servesHTTP(dp) {
		s.HTTPSpareBackends = sparePool(m.settings.SpareBackends, routeBackends(dp, true), ranOut(plan, true))
	}
	if s.SpareBackends != wanted.spareCount(false) || s.HTTPSpareBackends != wanted.spareCount(true) {
		var err error
		if wanted, err = renderFrom(wanted, dp, s); err != nil {
			return Result{Plan: plan, Err: err}
		}
	}
	// The check keeps a refused configuration from costing the serving workers a reload (failed
	// ones count toward mworker-max-reloads). Workers that run the empty configuration HAProxy
	// was started with serve nothing, so the first reload after the start goes without it: at a
	// cold start with thousands of routes the check renders and writes every file once more and
	// runs haproxy -c, a few tenths of a second before anything is served. When that reload
	// fails, the check says why.
	unchecked := m.startedEmpty && len(m.liveModel.Sockets) == 0 && len(m.liveModel.Backends) == 0
	m.startedEmpty = false
	if !unchecked {
		if err := m.check(ctx, wanted, dp, s); err != nil {
			return Result{Plan: plan, Err: err}
		}
	}
	if err := m.files.write(wanted); err != nil {
		m.restore()
		return m.reloadFailed(ctx, unchecked, wanted, dp, s, plan, fmt.Errorf("write configuration: %w", err))
	}
	reloaded := time.Now()
	m.reloads.started(reloaded)
	workers, err := m.master.ReloadServing(ctx, m.reloadTimeout, m.runtime.socket)
	if err != nil {
		m.restore()
		return m.reloadFailed(ctx, unchecked, wanted, dp, s, plan, err)
	}
	took := time.Since(reloaded)
	m.workers = sortedPIDs(workers)
	m.setLive(Started(wanted), dp, false)
	return Result{Plan: plan, ReloadTook: took}
}

// reloadFailed is the result of a reload of wanted that failed with err. One that went without
// the check is checked now: a refusal is then a *CheckError, which the controller isolates, as
// when the check ran first.
func (m *Manager) reloadFailed(ctx context.Context, unchecked bool, wanted *Config, dp model.DataPlane, s Settings, plan Plan, err error) Result {
	if unchecked {
		var refused *CheckError
		if checkErr := m.check(ctx, wanted, dp, s); errors.As(checkErr, &refused) {
			return Result{Plan: plan, Err: checkErr}
		}
	}
	return Result{Plan: plan, Err: err}
}

// running is the configuration the workers run, nil when unknown.
func (m *Manager) running() *Config {
	if m.live == nil {
		return nil
	}
	return m.live.Config
}

// adopt takes wanted, rendered from dp, as what the workers run when the plan from the running
// configuration to it is empty: they run the same, but wanted's blocks and map entries are dp's,
// so the next render from a model derived from dp patches them instead of building them all
// again (a full build makes every list anew, and with 10,000 routes that is tens of
// milliseconds on the next change). The saved state keeps its model, which renders the same.
func (m *Manager) adopt(dp model.DataPlane, wanted *Config) {
	// Its files are those on disk, or what runs is not on disk yet: the writer writes what differs.
	m.files.writeLater(wanted)
	m.live = &Live{Config: wanted, Sections: m.live.Sections, Spares: m.live.Spares, Leaving: m.live.Leaving}
	m.liveModel = dp
}

// restore puts the running configuration's files back, so the next reload starts from them.
func (m *Manager) restore() {
	if m.live != nil {
		_ = m.files.write(m.live.Config)
	}
}

// Check reports whether HAProxy would take the data plane, without touching what runs: it
// renders it into a staging folder and runs "haproxy -c" there. A configuration that cannot be
// rendered or written, or that HAProxy refuses, is a *CheckError. It may run beside Apply.
func (m *Manager) Check(ctx context.Context, dp model.DataPlane) error {
	return m.check(ctx, nil, dp, m.settings)
}

// check is Check for settings, with the route backends that name no file rendered once: those of
// from (nil: none), the configuration about to be written, are reused.
func (m *Manager) check(ctx context.Context, from *Config, dp model.DataPlane, settings Settings) error {
	staging, err := os.MkdirTemp(settings.Dir, ".check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	settings.Dir = staging
	cfg, err := renderFrom(from, dp, settings)
	if err != nil {
		return &CheckError{Message: err.Error()}
	}
	path := filepath.Join(staging, "haproxy.cfg")
	if err := writeFiles(path, cfg); err != nil {
		// File names come from object names: one too long is the objects' doing, like a refusal.
		return &CheckError{Message: relativePaths(err.Error(), staging)}
	}
	return CheckConfig(ctx, m.binary, path)
}

// Stop ends HAProxy when this Manager started it.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	master := m.master
	m.mu.Unlock()
	_, _ = m.files.flush(time.Now())
	m.state.flush()
	master.Stop()
}
