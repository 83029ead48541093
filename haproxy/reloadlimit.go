package haproxy

import "time"

// reloadLimiter spaces reloads at least interval apart. Each reload leaves old workers draining
// (up to hard-stop-after, or 50 reloads), so a run of changes that each need one would pile them
// up; a reload due sooner waits, and the changes that arrive meanwhile go into that one reload.
type reloadLimiter struct {
	interval time.Duration
	last     time.Time
}

// wait is how long a reload asked for at now must wait; 0 means it may run. Never more than the
// interval, should the clock step back.
func (l *reloadLimiter) wait(now time.Time) time.Duration {
	if l.interval <= 0 || l.last.IsZero() {
		return 0
	}
	return min(max(l.last.Add(l.interval).Sub(now), 0), l.interval)
}

// started records a reload that began at now.
func (l *reloadLimiter) started(now time.Time) { l.last = now }
