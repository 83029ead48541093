package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// startedElsewhere is a source whose Start the caller began: Run must not start it again.
type startedElsewhere struct {
	fixedSource
	t *testing.T
}

func (s startedElsewhere) Start(context.Context) error {
	s.t.Error("Run started a source whose start the caller began")
	return nil
}

// applySignal signals each apply (the first one is enough for the test).
type applySignal struct{ applied chan struct{} }

func (d *applySignal) Apply(context.Context, model.DataPlane) ApplyResult {
	select {
	case d.applied <- struct{}{}:
	default:
	}
	return ApplyResult{}
}
func (d *applySignal) Check(context.Context, model.DataPlane) (string, error) { return "", nil }

// TestRunWaitsForTheStartTheCallerBegan: with SourceStarted set, Run builds nothing before the
// start it carries has ended, and a start that failed ends Run with its error.
func TestRunWaitsForTheStartTheCallerBegan(t *testing.T) {
	logger, _ := logtest.NewNullLogger()
	dp := &applySignal{applied: make(chan struct{}, 1)}
	started := make(chan error, 1)
	r := &Runner{Source: startedElsewhere{fixedSource{&snapshot.Snapshot{}}, t}, SourceStarted: started,
		DataPlane: dp, Status: noStatus{}, Log: logger}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-dp.applied:
		t.Fatal("a pass ran before the source had started")
	case <-time.After(200 * time.Millisecond):
	}
	started <- nil
	select {
	case <-dp.applied:
	case <-time.After(10 * time.Second):
		t.Fatal("no pass after the source had started")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	failed := make(chan error, 1)
	failed <- errors.New("caches did not sync")
	r = &Runner{Source: startedElsewhere{fixedSource{&snapshot.Snapshot{}}, t}, SourceStarted: failed,
		DataPlane: dp, Status: noStatus{}, Log: logger}
	if err := r.Run(context.Background()); err == nil || err.Error() != "caches did not sync" {
		t.Fatalf("Run after a failed start: %v, want its error", err)
	}
}
