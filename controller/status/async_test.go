package status

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/sirupsen/logrus"
)

// recordingWriter records the models it is asked to write; while hold is open, each Write waits
// for a value on it, and the first failures Writes fail.
type recordingWriter struct {
	mu       sync.Mutex
	written  []*model.Model
	hold     chan struct{}
	failures int
	calls    chan struct{}
	forgets  int
}

func (w *recordingWriter) Forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgets++
}

func (w *recordingWriter) Write(_ context.Context, m *model.Model) error {
	w.calls <- struct{}{}
	if w.hold != nil {
		<-w.hold
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written = append(w.written, m)
	if w.failures > 0 {
		w.failures--
		return errors.New("API server unavailable")
	}
	return nil
}

func (w *recordingWriter) models() []*model.Model {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*model.Model(nil), w.written...)
}

func startAsync(t *testing.T, inner *recordingWriter, leading func() bool) *Async {
	t.Helper()
	a := NewAsync(inner, leading, logrus.New())
	a.retryMin, a.retryMax = 10*time.Millisecond, 40*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func waitCall(t *testing.T, w *recordingWriter) {
	t.Helper()
	select {
	case <-w.calls:
	case <-time.After(5 * time.Second):
		t.Fatal("no status round within 5 s")
	}
}

// A round in progress does not hold up Write, and of the models handed over meanwhile only the
// newest is written next.
func TestAsyncWritesTheNewestModel(t *testing.T) {
	inner := &recordingWriter{hold: make(chan struct{}), calls: make(chan struct{}, 10)}
	a := startAsync(t, inner, nil)
	first, second, third := &model.Model{}, &model.Model{}, &model.Model{}
	_ = a.Write(context.Background(), first)
	waitCall(t, inner)
	// The first round is held; these return at once all the same.
	start := time.Now()
	_ = a.Write(context.Background(), second)
	_ = a.Write(context.Background(), third)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Write took %s while a round was running, want at once", d)
	}
	inner.hold <- struct{}{}
	waitCall(t, inner)
	inner.hold <- struct{}{}
	time.Sleep(50 * time.Millisecond)
	got := inner.models()
	if len(got) != 2 || got[0] != first || got[1] != third {
		t.Fatalf("wrote %d models %v, want the first and then the newest (third)", len(got), got)
	}
}

// A failed round is tried again with the same model until it goes through.
func TestAsyncRetriesAFailedRound(t *testing.T) {
	inner := &recordingWriter{failures: 2, calls: make(chan struct{}, 10)}
	a := startAsync(t, inner, nil)
	m := &model.Model{}
	_ = a.Write(context.Background(), m)
	for range 3 {
		waitCall(t, inner)
	}
	time.Sleep(100 * time.Millisecond)
	got := inner.models()
	if len(got) != 3 || got[0] != m || got[2] != m {
		t.Fatalf("wrote %d models, want the same model three times (two failures, then success)", len(got))
	}
}

// A replica that does not lead writes nothing; once it leads, the inner writer forgets what it
// knew was in place before writing.
func TestAsyncWritesOnlyWhileLeading(t *testing.T) {
	inner := &recordingWriter{calls: make(chan struct{}, 10)}
	var mu sync.Mutex
	leading := false
	a := startAsync(t, inner, func() bool { mu.Lock(); defer mu.Unlock(); return leading })
	_ = a.Write(context.Background(), &model.Model{})
	time.Sleep(100 * time.Millisecond)
	if n := len(inner.models()); n != 0 {
		t.Fatalf("a follower wrote %d models", n)
	}
	mu.Lock()
	leading = true
	mu.Unlock()
	m := &model.Model{}
	_ = a.Write(context.Background(), m)
	waitCall(t, inner)
	time.Sleep(20 * time.Millisecond)
	if got := inner.models(); len(got) != 1 || got[0] != m {
		t.Fatalf("the leader wrote %v, want the model handed over while leading", got)
	}
	inner.mu.Lock()
	defer inner.mu.Unlock()
	if inner.forgets != 1 {
		t.Fatalf("the inner writer was told to forget %d times on becoming the leader, want once", inner.forgets)
	}
}
