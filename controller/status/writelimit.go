package status

import (
	"context"
	"sync"
	"time"
)

// writeLimit is how many route statuses are written at once, adapted to the API server's answers
// the way TCP Vegas adapts its window. A write that takes about as long as the quickest recent one
// found the server with room, so one more writer may start; a write that takes much longer waited
// behind others at a busy server, so one writer stops. A server whose CPU is saturated by status
// writes would otherwise make every other request wait too (a new route's create and its watch
// event are the data plane's path), while a large or distant server, whose answers stay quick
// however many wait, gets up to maxWriters at once.
type writeLimit struct {
	mu   sync.Mutex
	cond *sync.Cond
	// limit is how many writes may run at once; running is how many do.
	limit, running int
	// quickest is the shortest write of the current window, and base the shortest of the current
	// and the last: the round trip of a server with nothing queued. Windows let base rise again
	// when the server became slower for good; each starts with the limit at minWriters.
	quickest, base         time.Duration
	windowStart, windowEnd time.Time
	now                    func() time.Time
}

const (
	// minWriters and maxWriters bound the limit. Two keep a round trip's wait from idling the
	// server; more than 16 would only queue at any server.
	minWriters, maxWriters = 2, 16
	// queuedLow and queuedHigh are, in writes, the estimate of how many wait at the server below
	// which the limit grows and above which it shrinks.
	queuedLow, queuedHigh = 1, 2
	// baseWindow is how long the quickest write is remembered, at least (one or two windows).
	baseWindow = 10 * time.Second
)

func newWriteLimit() *writeLimit {
	l := &writeLimit{limit: minWriters, now: time.Now}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// acquire waits until fewer than limit writes run, and counts one more. It returns false when ctx
// ends first.
func (l *writeLimit) acquire(ctx context.Context) bool {
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.cond.Broadcast()
	})
	defer stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.running >= l.limit {
		if ctx.Err() != nil {
			return false
		}
		l.cond.Wait()
	}
	l.running++
	return true
}

// release counts a write done. took is its round trip, or zero for a write whose time says
// nothing of the server's load (it failed, or was not sent).
func (l *writeLimit) release(took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running--
	if took > 0 {
		l.observe(took)
	}
	l.cond.Broadcast()
}

// observe moves the limit by one after a write that took took.
func (l *writeLimit) observe(took time.Duration) {
	now := l.now()
	if now.After(l.windowEnd) {
		// A new window starts with the limit at its floor: under a steady load the server's
		// queue never drains, and a quickest write measured with it full would be taken for the
		// server's unloaded round trip, so the limit would creep up with every window.
		l.base, l.quickest = l.quickest, 0
		l.windowStart, l.windowEnd = now, now.Add(baseWindow)
		l.limit = minWriters
	}
	if now.Add(-took).Before(l.windowStart) {
		// Sent before the window started, with more writes in flight than the floor.
		return
	}
	if l.quickest == 0 || took < l.quickest {
		l.quickest = took
	}
	if l.base == 0 || l.quickest < l.base {
		l.base = l.quickest
	}
	// With limit writes in flight, each took took where it would take base alone: the share of
	// the time spent waiting, times the writes in flight, is how many wait.
	queued := float64(l.limit) * float64(took-l.base) / float64(took)
	switch {
	case queued < queuedLow && l.limit < maxWriters:
		l.limit++
	case queued > queuedHigh && l.limit > minWriters:
		l.limit--
	}
}

// current is the limit now.
func (l *writeLimit) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}
