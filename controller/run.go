// Package controller runs the pipeline: sources -> build -> data plane -> status.
package controller

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/events"
	"github.com/haproxy-gateway/haproxy-gateway/controller/leader"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/sirupsen/logrus"
)

// DataPlane programs a data plane model and says whether it runs it.
type DataPlane interface {
	Apply(ctx context.Context, dp model.DataPlane) ApplyResult
	// Check says whether the data plane would take dp, without applying it: refused is its
	// message when it would not; err means it could not tell.
	Check(ctx context.Context, dp model.DataPlane) (refused string, err error)
}

// ApplyResult is what the data plane did with one model.
type ApplyResult struct {
	// Changed is false when the model was already running.
	Changed  bool
	Reloaded bool
	// ReloadTook is how long HAProxy took to load the configuration when Reloaded.
	ReloadTook time.Duration
	// ReloadReasons are the kinds of reasons for a reload, from a small fixed set.
	ReloadReasons []string
	// RuntimeOps counts the runtime API commands sent, by command.
	RuntimeOps map[string]int
	// RuntimeFailed is set when the runtime API failed and a reload was done instead.
	RuntimeFailed bool
	// Detail says what changed, for the log line.
	Detail string
	Err    error
	// Refused is HAProxy's message when the configuration failed its check (so it never reached
	// HAProxy, and the objects asked for something HAProxy does not take); empty otherwise.
	Refused string
	// Spares maps each route backend added since the last reload to the spare backend that
	// serves it ("tlsroute:ns:name:rule0" -> "spare:3"): the stats page shows the spare's name.
	// It is the data plane's own map, only to be read: an apply that assigns and frees no spare
	// gives the same map as the one before it. SparesAssigned is the part this apply assigned.
	Spares, SparesAssigned map[string]string
	// Deferred is set when the change needs a reload that the reload rate limit holds back this
	// long: its runtime part went out, and the pass runs again then. Nothing failed.
	Deferred time.Duration
}

// ServiceWriter publishes the per-Gateway Services of a model.
type ServiceWriter interface {
	Write(ctx context.Context, services []model.GatewayService) error
}

// Runner ties the stages together. Stages never call each other: each hands its result to the
// next here, so a slow status write never holds up the data plane and a failed apply is still
// reported.
type Runner struct {
	Source source.Source
	// SourceStarted, when set, carries the result of a Source.Start the caller began itself, so
	// that the first list of the objects overlaps what else the process starts with (HAProxy);
	// Run then waits for it instead of starting the source.
	SourceStarted <-chan error
	Build         translate.Options
	DataPlane     DataPlane
	// Status gets each pass's desired status; in a cluster it is a status.Async, so the API
	// server's pace never holds up the next pass.
	Status status.Writer
	// Services may be nil: Gateways then get no Services (address mode "pool").
	Services ServiceWriter
	// Leader gates the writes to the API server (status and Services); nil means always lead.
	// The data plane is programmed either way.
	Leader leader.Gate
	// Coalesce is how long to wait after a change for more changes before rebuilding. Zero
	// rebuilds at once when idle; changes that arrive while a pass runs are taken together by
	// the next pass either way, so a burst costs a few passes, not one per change.
	Coalesce time.Duration
	Log      logrus.FieldLogger
	// Metrics may be nil.
	Metrics *Metrics
	// Events may be nil: failures then show in the status only. Only the leader records.
	Events events.Recorder

	ready atomic.Bool
	// deferred is when the next pass is due, set by a pass whose reload was deferred.
	deferred time.Duration
	// isolation and lastFailure belong to the Run loop.
	isolation   isolation
	lastFailure string
	// applied is the data plane HAProxy last took, to name what the next change touches.
	applied model.DataPlane
	// settled is set when the last pass finished: applied is what runs, and its status is out.
	settled bool
	// transitions is the last published status's failures, so each one is an Event once.
	transitions events.Transitions
	// builder keeps each route's result for the next pass.
	builder *translate.Builder
}

// Ready reports whether HAProxy has run a configuration built from the objects.
func (r *Runner) Ready() bool { return r.ready.Load() }

// retryAfter is when a failed apply or status write is tried again without a new change.
const retryAfter = 2 * time.Second

// Run builds and applies after every change until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.startSource(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	if r.Leader == nil {
		r.Leader = leader.Always{}
	}
	retry := time.NewTimer(0) // the first pass runs at once
	// seen is when the oldest change not yet applied was noticed; changed is when that change
	// happened, as the objects say (zero when they do not).
	var seen, changed time.Time
	for {
		cause, objectsChanged := "retry", false
		select {
		case <-ctx.Done():
			return nil
		case <-r.Source.Changes():
			objectsChanged = true
			if seen.IsZero() {
				seen = time.Now()
			}
			if r.Coalesce > 0 {
				r.settle(ctx)
			}
		case <-r.Leader.Gained():
			// Write what was held back as a follower; the status writer skips what is current.
			cause = "leader"
		case <-retry.C:
		}
		changed = earliest(changed, oldestChange(r.Source))
		causes := changeCauses(r.Source)
		// A pass for a new leader or a retry publishes everything, whatever changed.
		if objectsChanged && r.keyedPass(ctx, seen, changed) {
			seen, changed = time.Time{}, time.Time{}
			continue
		}
		r.Metrics.observeRebuild(causes, cause)
		if r.pass(ctx, seen, changed) {
			seen, changed = time.Time{}, time.Time{}
			r.prepareWhileIdle()
		} else {
			retry.Reset(r.nextTry())
		}
	}
}

// startSource starts the source, or waits for the start the caller began.
func (r *Runner) startSource(ctx context.Context) error {
	if r.SourceStarted == nil {
		return r.Source.Start(ctx)
	}
	select {
	case err := <-r.SourceStarted:
		return err
	case <-ctx.Done():
		return nil
	}
}

// nextTry is when a pass that did not finish runs again: when its deferred reload may run, or
// after retryAfter.
func (r *Runner) nextTry() time.Duration {
	if d := r.deferred; d > 0 {
		r.deferred = 0
		return d
	}
	return retryAfter
}

// prepareWhileIdle has the Builder make, after a full pass, the indexes that the first keyed pass
// would otherwise make (Builder.Prepare), unless a change already waits: that one goes first, and
// its keyed pass makes them as before.
func (r *Runner) prepareWhileIdle() {
	if r.builder != nil && len(r.Source.Changes()) == 0 {
		r.builder.Prepare()
	}
}

// settle waits until changes stop arriving for Coalesce, so a burst becomes one rebuild.
func (r *Runner) settle(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.Source.Changes():
		case <-time.After(r.Coalesce):
			return
		}
	}
}

// pass runs one build -> apply -> status round over every object; false means it should be tried
// again. (A change of EndpointSlices or routes alone needs no snapshot: see keyedPass.)
func (r *Runner) pass(ctx context.Context, seen, changed time.Time) bool {
	r.settled = r.fullPass(ctx, seen, changed)
	return r.settled
}

func (r *Runner) fullPass(ctx context.Context, seen, changed time.Time) bool {
	start := time.Now()
	if src, ok := r.Source.(source.KeyedChanges); ok {
		// The snapshot holds every change so far: none is left for a keyed pass.
		src.TakeChanged()
	}
	snap, err := r.Source.Snapshot(ctx)
	if err != nil {
		r.Log.WithError(err).Error("read objects")
		return false
	}
	start = r.Metrics.since(stageSnapshot, start)
	if r.builder == nil {
		r.builder = translate.NewBuilder(r.Build)
	}
	built := r.builder.Build(snap)
	r.Metrics.observeBuild(r.builder.Built, r.builder.Reused)
	start = r.Metrics.since(stageBuild, start)
	m, result := r.applyIsolated(ctx, snap, built)
	start = r.Metrics.since(stageApply, start)
	defer r.Metrics.since(stagePublish, start)
	return r.publish(ctx, m, result, seen, changed, func() ([]string, []string) { return touched(r.applied, m.DataPlane) })
}

// publish logs and counts what the data plane did with m and hands m's status to the writers;
// false means the pass should be tried again. names says which Gateways and routes the change
// touched, for the log line.
func (r *Runner) publish(ctx context.Context, m *model.Model, result ApplyResult, seen, changed time.Time, names func() (gateways, routes []string)) bool {
	r.Metrics.observe(result, seen)
	if result.Deferred > 0 {
		// Status waits for the reload: Programmed says what HAProxy runs.
		r.deferred = result.Deferred
		r.Log.WithField("change", result.Detail).WithField("wait", result.Deferred).Debug("reload deferred")
		return false
	}
	r.Metrics.observeObjectChange(result, changed)
	ok := true
	switch {
	case result.Err != nil:
		// Retried every retryAfter: said once, until it says something else.
		log := r.Log.WithError(result.Err).WithField("change", result.Detail)
		if failure := result.Err.Error(); failure != r.lastFailure {
			r.lastFailure = failure
			log.Error("data plane did not take the configuration; the previous one keeps serving")
		} else {
			log.Debug("data plane still does not take the configuration")
		}
		ok = false
	case result.Changed:
		gateways, routes := names()
		r.Log.WithFields(logrus.Fields{"change": result.Detail, "reloaded": result.Reloaded,
			"gateways": bounded(gateways), "routes": bounded(routes), "spareBackends": spareNames(result.SparesAssigned),
			"sockets": len(m.DataPlane.Sockets), "backends": len(m.DataPlane.Backends)}).Info("data plane updated")
	}
	if result.Err == nil {
		r.applied = m.DataPlane
	}
	if result.Err == nil {
		if !r.ready.Load() {
			r.Metrics.startStep(stepDataPlaneProgrammed)
		}
		r.ready.Store(true)
		r.lastFailure = ""
	}
	desired := status.WithApplyResult(m, result.Err)
	// Followers track transitions too, so a new leader does not repeat the old one's Events.
	changes := r.transitions.Observe(desired)
	if !r.Leader.Leading() {
		return ok
	}
	if r.Events != nil {
		for _, e := range changes {
			r.Events.Record(ctx, e)
		}
	}
	if r.Services != nil {
		if err := r.Services.Write(ctx, m.Services); err != nil {
			r.Log.WithError(err).Warn("write Services")
			ok = false
		}
	}
	if err := r.Status.Write(ctx, desired); err != nil {
		r.Log.WithError(err).Warn("write status")
		ok = false
	}
	return ok
}
