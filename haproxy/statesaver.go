package haproxy

import (
	"cmp"
	"io"
	"slices"
	"sync"
	"time"
)

// The saved state is a restart's shortcut, not a record: a controller that starts on a state that
// does not render to the files on disk does not trust it, and its first change reloads (see
// recoverLive), nothing worse. With 10,000 routes it is megabytes of JSON, and of a stream of
// changes only the last one matters: a change after a quiet spell is written at once, the changes
// that follow it within a stream once they pause. A state of new workers (a start, a reload) is
// written at once too: a restart that finds the state of the workers before them reloads, and the
// first configuration after HAProxy's start often comes within the quiet spell of the empty one.
const (
	// stateQuiet is the pause that ends a stream of changes: a change this long after the last
	// one is written at once, one sooner once no change came for this long.
	stateQuiet = 250 * time.Millisecond
	// stateMaxWait bounds how long a stream of changes that never pauses keeps the state from
	// being written.
	stateMaxWait = 10 * time.Second
	// stateWriteShare bounds the time spent writing: the next write waits at least this many
	// times as long as the last one took, so writing takes at most about 5% of a core however
	// large the state.
	stateWriteShare = 19
)

// stateSaver writes the newest saved state to path beside the caller (marshalling it is not the
// change's business): at once after a quiet spell, else once no change came for quiet or the
// oldest unwritten one is maxWait old (stateQuiet and stateMaxWait when zero). A write never
// holds up save.
type stateSaver struct {
	path           string
	quiet, maxWait time.Duration
	// writing keeps writes one at a time, so the newest state is written last.
	writing sync.Mutex

	mu      sync.Mutex
	pending *savedState
	// workers are the workers of the last state saved.
	workers []int
	// since is when the oldest state not yet written was saved, saved when the last one was;
	// timer writes pending.
	since, saved time.Time
	timer        *time.Timer
	// last is when the last write ended, cost how long it took.
	last time.Time
	cost time.Duration
}

// save hands over st, which must not change afterwards.
func (s *stateSaver) save(st savedState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.pending == nil {
		s.since = now
	}
	s.pending = &st
	quiet := cmp.Or(s.quiet, stateQuiet)
	due := now.Add(quiet)
	if now.Sub(s.saved) >= quiet || !slices.Equal(st.Workers, s.workers) {
		due = now
	}
	s.saved, s.workers = now, st.Workers
	if latest := s.since.Add(cmp.Or(s.maxWait, stateMaxWait)); due.After(latest) {
		due = latest
	}
	if earliest := s.last.Add(stateWriteShare * s.cost); due.Before(earliest) {
		due = earliest
	}
	// A timer that already fired has a write waiting for mu; the one Reset schedules finds
	// nothing pending or a newer state, either of which is fine.
	if s.timer == nil {
		s.timer = time.AfterFunc(time.Until(due), s.write)
	} else {
		s.timer.Reset(time.Until(due))
	}
}

// flush writes a state still waiting.
func (s *stateSaver) flush() {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	s.write()
}

// write writes the pending state, if any. A state that cannot be saved costs the next controller
// process one reload, no more, so the error is dropped.
func (s *stateSaver) write() {
	s.writing.Lock()
	defer s.writing.Unlock()
	s.mu.Lock()
	st := s.pending
	s.pending, s.timer = nil, nil
	s.mu.Unlock()
	if st == nil {
		return
	}
	start := time.Now()
	_ = writeAtomicWith(s.path, 0o600, func(w io.Writer) error { return encodeState(w, st) })
	s.mu.Lock()
	s.last = time.Now()
	s.cost = s.last.Sub(start)
	s.mu.Unlock()
}
