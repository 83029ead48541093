package haproxy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStateSaverWritesTheNewest saves states faster than they are written and checks that the
// file ends with the newest, mode 0600, and that saving never waited for a write.
func TestStateSaverWritesTheNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := &stateSaver{path: path}
	for i := range 50 {
		start := time.Now()
		s.save(savedState{SparePool: i})
		if waited := time.Since(start); waited > 50*time.Millisecond {
			t.Errorf("save %d waited %v", i, waited)
		}
	}
	s.flush()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(raw, &st); err != nil || st.SparePool != 49 {
		t.Errorf("state file holds spare pool %d (%v), want the newest, 49", st.SparePool, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
}

// TestStateSaverWaitsForAPause saves a stream of states and reads the file: the first state,
// after a quiet spell, is written at once; the rest not while the changes keep coming, the newest
// soon once they pause, and within maxWait of the first unwritten one in a stream that never
// pauses.
func TestStateSaverWaitsForAPause(t *testing.T) {
	stream := func(s *stateSaver, d time.Duration) int {
		start, i := time.Now(), 0
		for ; time.Since(start) < d; i++ {
			s.save(savedState{SparePool: i})
			time.Sleep(10 * time.Millisecond)
		}
		return i - 1
	}
	written := func(path string) int {
		raw, err := os.ReadFile(path)
		if err != nil {
			return -1
		}
		var st savedState
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("state file: %v", err)
		}
		return st.SparePool
	}

	paused := &stateSaver{path: filepath.Join(t.TempDir(), "state.json"), quiet: 800 * time.Millisecond, maxWait: time.Hour}
	last := stream(paused, 2*time.Second)
	if got := written(paused.path); got != 0 {
		t.Errorf("while changes kept coming the file held state %d, want the first, 0, written at once", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for written(paused.path) != last && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := written(paused.path); got != last {
		t.Errorf("once the changes paused the file held state %d, want the newest, %d", got, last)
	}

	endless := &stateSaver{path: filepath.Join(t.TempDir(), "state.json"), quiet: time.Hour, maxWait: 300 * time.Millisecond}
	stream(endless, 1500*time.Millisecond)
	if got := written(endless.path); got <= 0 {
		t.Errorf("a stream of changes that never paused left state %d in the file, want a later one within maxWait", got)
	}
}

// TestStateSaverWritesNewWorkersAtOnce: within a stream of changes, a state of other workers (a
// reload) is written at once, so that a restart right after it finds it.
func TestStateSaverWritesNewWorkersAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := &stateSaver{path: path, quiet: time.Hour, maxWait: time.Hour}
	s.save(savedState{Workers: []int{10}, SparePool: 1})
	s.save(savedState{Workers: []int{10}, SparePool: 2})
	s.save(savedState{Workers: []int{11}, SparePool: 3})
	deadline := time.Now().Add(5 * time.Second)
	var st savedState
	for time.Now().Before(deadline) {
		if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &st) == nil && st.SparePool == 3 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("the state of new workers was not written (the file holds spare pool %d), want it at once", st.SparePool)
}
