package status

import (
	"context"
	"sync"
	"testing"
	"time"
)

// serverModel gives a write's round trip with n writes in flight: latency spent on the way
// (network, a server's own wait), and work of CPU time on a server with cores.
type serverModel struct {
	latency, work time.Duration
	cores         int
}

func (s serverModel) roundTrip(n int) time.Duration {
	// Up to cores writes run side by side; more wait their turn.
	turns := (n + s.cores - 1) / s.cores
	return s.latency + time.Duration(turns)*s.work
}

// settle runs writes through l one after the other, each told the round trip it would have had
// with limit writes in flight, over a minute of clock, and returns the limit then.
func settle(t *testing.T, s serverModel) int {
	t.Helper()
	clock := time.Unix(0, 0)
	l := newWriteLimit()
	l.now = func() time.Time { return clock }
	for clock.Before(time.Unix(60, 0)) {
		if !l.acquire(context.Background()) {
			t.Fatal("acquire refused")
		}
		took := s.roundTrip(l.current())
		clock = clock.Add(took / time.Duration(l.current()))
		l.release(took)
	}
	return l.current()
}

func TestWriteLimitFollowsTheServer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   serverModel
		min, max int
	}{
		// A distant server with plenty of CPU: round trips stay the same however many wait, so
		// every writer runs.
		{"distant, idle", serverModel{latency: 5 * time.Millisecond, work: 500 * time.Microsecond, cores: 32}, maxWriters, maxWriters},
		// A local server with 2 cores and 3 ms of CPU a write: more than a few writers only make
		// every request, the data plane's included, wait behind the statuses.
		{"local, saturated", serverModel{latency: 200 * time.Microsecond, work: 3 * time.Millisecond, cores: 2}, minWriters, 4},
		// 8 cores a few milliseconds away: round trips grow once the cores are busy.
		{"remote, 8 cores", serverModel{latency: 2 * time.Millisecond, work: 3 * time.Millisecond, cores: 8}, 8, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := settle(t, tc.server); got < tc.min || got > tc.max {
				t.Errorf("limit settled at %d, want %d to %d", got, tc.min, tc.max)
			}
		})
	}
}

func TestWriteLimitBoundsWritesInFlight(t *testing.T) {
	l := newWriteLimit()
	var mu sync.Mutex
	running, most := 0, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if !l.acquire(context.Background()) {
				t.Error("acquire refused")
				return
			}
			mu.Lock()
			running++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			// No round trip: the limit stays where it started.
			l.release(0)
		})
	}
	wg.Wait()
	if most > minWriters {
		t.Errorf("%d writes ran at once, limit %d", most, minWriters)
	}
}

func TestWriteLimitAcquireEndsWithContext(t *testing.T) {
	l := newWriteLimit()
	for range minWriters {
		if !l.acquire(context.Background()) {
			t.Fatal("acquire refused below the limit")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if l.acquire(ctx) {
		t.Fatal("acquire above the limit returned true")
	}
}
