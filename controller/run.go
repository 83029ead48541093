// Package controller runs the pipeline: sources -> build -> data plane -> status.
package controller

import (
	"context"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/build"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/sirupsen/logrus"
)

// DataPlane programs a data plane model and says whether it runs it.
type DataPlane interface {
	Apply(ctx context.Context, dp model.DataPlane) ApplyResult
}

// ApplyResult is what the data plane did with one model.
type ApplyResult struct {
	// Changed is false when the model was already running.
	Changed  bool
	Reloaded bool
	// ReloadReasons are the kinds of reasons for a reload, from a small fixed set.
	ReloadReasons []string
	// RuntimeOps counts the runtime API commands sent, by command.
	RuntimeOps map[string]int
	// RuntimeFailed is set when the runtime API failed and a reload was done instead.
	RuntimeFailed bool
	// Detail says what changed, for the log line.
	Detail string
	Err    error
}

// StatusWriter publishes the status part of a model.
type StatusWriter interface {
	Write(ctx context.Context, m *model.Model) error
}

// Runner ties the stages together. Stages never call each other: each hands its result to the
// next here, so a slow status write never holds up the data plane and a failed apply is still
// reported.
type Runner struct {
	Source    source.Source
	Build     build.Options
	DataPlane DataPlane
	Status    StatusWriter
	// Coalesce is how long to wait after a change for more changes before rebuilding.
	Coalesce time.Duration
	Log      logrus.FieldLogger
	// Metrics may be nil.
	Metrics *Metrics
}

// retryAfter is when a failed apply or status write is tried again without a new change.
const retryAfter = 2 * time.Second

// Run builds and applies after every change until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Source.Start(ctx); err != nil {
		return err
	}
	retry := time.NewTimer(0) // the first pass runs at once
	// seen is when the oldest change not yet applied was noticed.
	var seen time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Source.Changes():
			if seen.IsZero() {
				seen = time.Now()
			}
			r.settle(ctx)
		case <-retry.C:
		}
		if r.pass(ctx, seen) {
			seen = time.Time{}
		} else {
			retry.Reset(retryAfter)
		}
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

// pass runs one build -> apply -> status round; false means it should be tried again.
func (r *Runner) pass(ctx context.Context, seen time.Time) bool {
	snap, err := r.Source.Snapshot(ctx)
	if err != nil {
		r.Log.WithError(err).Error("read objects")
		return false
	}
	m := build.Build(snap, r.Build)
	result := r.DataPlane.Apply(ctx, m.DataPlane)
	r.Metrics.observe(result, seen)
	ok := true
	switch {
	case result.Err != nil:
		r.Log.WithError(result.Err).WithField("change", result.Detail).Error("data plane did not take the configuration; the previous one keeps serving")
		ok = false
	case result.Changed:
		r.Log.WithFields(logrus.Fields{"change": result.Detail, "reloaded": result.Reloaded,
			"sockets": len(m.DataPlane.Sockets), "backends": len(m.DataPlane.Backends)}).Info("data plane updated")
	}
	if err := r.Status.Write(ctx, status.WithApplyResult(m, result.Err)); err != nil {
		r.Log.WithError(err).Warn("write status")
		ok = false
	}
	return ok
}
