package haproxy

import (
	"testing"
	"time"
)

func TestReloadLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		interval time.Duration
		last     time.Time // zero: no reload yet
		now      time.Time
		want     time.Duration
	}{
		{"first reload runs at once", time.Second, time.Time{}, t0, 0},
		{"no limit", 0, t0, t0, 0},
		{"right after a reload waits the whole interval", time.Second, t0, t0, time.Second},
		{"part of the interval passed", 2 * time.Second, t0, t0.Add(1500 * time.Millisecond), 500 * time.Millisecond},
		{"interval over", time.Second, t0, t0.Add(time.Second), 0},
		{"long after", time.Second, t0, t0.Add(time.Hour), 0},
		{"clock stepped back", time.Second, t0, t0.Add(-time.Hour), time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := reloadLimiter{interval: tc.interval, last: tc.last}
			if got := l.wait(tc.now); got != tc.want {
				t.Errorf("wait = %v, want %v", got, tc.want)
			}
		})
	}
	// Coalescing: changes during the interval all wait for the same moment.
	l := reloadLimiter{interval: time.Second}
	l.started(t0)
	for _, at := range []time.Duration{100, 400, 900} {
		now := t0.Add(at * time.Millisecond)
		if due := now.Add(l.wait(now)); !due.Equal(t0.Add(time.Second)) {
			t.Errorf("change at +%dms reloads at %v, want at +1s", at, due.Sub(t0))
		}
	}
}
