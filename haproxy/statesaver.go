package haproxy

import (
	"io"
	"sync"
	"time"
)

// stateWriteInterval spaces the writes of the saved state: with 10,000 routes it is megabytes of
// JSON, and of a burst of changes only the last one matters. A controller killed before the last
// write leaves a state that does not render to the files on disk, so the next controller process
// does not trust it and its first change reloads (see recoverLive): nothing worse.
const stateWriteInterval = 250 * time.Millisecond

// stateWriteShare bounds the time spent writing the state during a stream of changes: the next
// write waits at least this many times as long as the last one took, so writing takes at most
// about 5% of a core however large the state.
const stateWriteShare = 19

// stateSaver writes the newest saved state to path beside the caller (marshalling it is not the
// change's business): soon when the last write is old enough, else once it is (see
// stateWriteInterval and stateWriteShare). A write never holds up save.
type stateSaver struct {
	path string
	// writing keeps writes one at a time, so the newest state is written last.
	writing sync.Mutex

	mu      sync.Mutex
	pending *savedState
	timer   *time.Timer
	// last is when the last write ended, cost how long it took.
	last time.Time
	cost time.Duration
}

// save hands over st, which must not change afterwards.
func (s *stateSaver) save(st savedState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = &st
	if s.timer != nil {
		return // the scheduled write takes the newest state
	}
	interval := max(stateWriteInterval, stateWriteShare*s.cost)
	s.timer = time.AfterFunc(max(time.Until(s.last.Add(interval)), 0), s.write)
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
