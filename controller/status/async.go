package status

import (
	"context"
	"sync"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/sirupsen/logrus"
)

// Async writes statuses off the data plane's path. Write keeps the newest model and returns at
// once; Run writes it through the inner Writer, one round at a time. A model that arrives while a
// round runs replaces any model still waiting (newest wins: the older one's statuses are out of
// date anyway), and a round that fails is tried again with backoff unless a newer model came. So
// a cold start with thousands of route statuses, or an API server that answers slowly, never
// holds up the next change on its way to HAProxy.
type Async struct {
	inner Writer
	// leading is asked before each round: a replica that lost the lease writes nothing; the
	// runner hands it a model again when it leads again.
	leading func() bool
	log     logrus.FieldLogger
	// retryMin and retryMax bound the wait before a failed round is tried again.
	retryMin, retryMax time.Duration

	mu      sync.Mutex
	pending *model.Model
	wake    chan struct{}
	// led is whether the last round found this replica leading: on becoming the leader again,
	// a Forgetter forgets what it knew was in place (the other leader may have written since).
	led bool
}

// Forgetter is a Writer that remembers what it found in place, and can be told to forget it.
type Forgetter interface {
	Forget()
}

// NewAsync writes through inner while leading says so (nil: always).
func NewAsync(inner Writer, leading func() bool, log logrus.FieldLogger) *Async {
	if leading == nil {
		leading = func() bool { return true }
	}
	return &Async{inner: inner, leading: leading, log: log, retryMin: time.Second, retryMax: 30 * time.Second,
		wake: make(chan struct{}, 1)}
}

// Write hands m to Run and returns at once. m must not change afterwards.
func (a *Async) Write(_ context.Context, m *model.Model) error {
	a.mu.Lock()
	a.pending = m
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run writes the models handed to Write until ctx ends.
func (a *Async) Run(ctx context.Context) {
	retry := time.NewTimer(0)
	<-retry.C
	backoff := a.retryMin
	var failing *model.Model
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-retry.C:
		}
		a.mu.Lock()
		m := a.pending
		a.pending = nil
		a.mu.Unlock()
		if m == nil {
			// A retry with nothing newer: the failed model again.
			m, failing = failing, nil
		}
		leading := a.leading()
		if leading && !a.led {
			if f, ok := a.inner.(Forgetter); ok {
				f.Forget()
			}
		}
		a.led = leading
		if m == nil || !leading {
			continue
		}
		err := a.inner.Write(ctx, m)
		if err == nil {
			backoff, failing, lastErr = a.retryMin, nil, ""
			retry.Stop()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		// Said once until it says something else; the retries continue quietly.
		if msg := err.Error(); msg != lastErr {
			lastErr = msg
			a.log.WithError(err).WithField("retry", backoff).Warn("write status")
		}
		failing = m
		retry.Reset(backoff)
		backoff = min(2*backoff, a.retryMax)
	}
}
