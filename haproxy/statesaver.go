package haproxy

import (
	"encoding/json"
	"sync"
	"time"
)

// stateWriteInterval spaces the writes of the saved state: with 10,000 routes it is megabytes of
// JSON, and of a burst of changes only the last one matters. A controller killed before the last
// write leaves a state that does not render to the files on disk, so the next controller process
// does not trust it and its first change reloads (see recoverLive): nothing worse.
const stateWriteInterval = 250 * time.Millisecond

// stateSaver writes the newest saved state to path beside the caller (marshalling it is not the
// change's business): soon when the last write is older than stateWriteInterval, else once that
// much time has passed.
type stateSaver struct {
	path string

	mu      sync.Mutex
	pending *savedState
	timer   *time.Timer
	last    time.Time
}

// save hands over st, which must not change afterwards.
func (s *stateSaver) save(st savedState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = &st
	if s.timer != nil {
		return // the scheduled write takes the newest state
	}
	wait := max(time.Until(s.last.Add(stateWriteInterval)), 0)
	s.timer = time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.timer = nil
		s.writeLocked()
	})
}

// flush writes a state still waiting.
func (s *stateSaver) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.writeLocked()
}

// writeLocked writes the pending state, if any. A state that cannot be saved costs the next
// controller process one reload, no more, so the error is dropped.
func (s *stateSaver) writeLocked() {
	if s.pending == nil {
		return
	}
	raw, err := json.Marshal(s.pending)
	s.pending, s.last = nil, time.Now()
	if err == nil {
		_ = writeAtomic(s.path, raw, 0o600)
	}
}
