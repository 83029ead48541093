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

// TestStateSaverWaitsForAPause saves a stream of states and checks when the file appears: not
// while the changes keep coming, soon once they pause, and within maxWait of the first change
// of a stream that never pauses.
func TestStateSaverWaitsForAPause(t *testing.T) {
	stream := func(s *stateSaver, d time.Duration) {
		start := time.Now()
		for i := 0; time.Since(start) < d; i++ {
			s.save(savedState{SparePool: i})
			time.Sleep(10 * time.Millisecond)
		}
	}
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }

	paused := &stateSaver{path: filepath.Join(t.TempDir(), "state.json"), quiet: 800 * time.Millisecond, maxWait: time.Hour}
	stream(paused, 2*time.Second)
	if exists(paused.path) {
		t.Error("the state was written while changes kept coming")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !exists(paused.path) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !exists(paused.path) {
		t.Error("the state was not written once the changes paused")
	}

	endless := &stateSaver{path: filepath.Join(t.TempDir(), "state.json"), quiet: time.Hour, maxWait: 300 * time.Millisecond}
	stream(endless, 1500*time.Millisecond)
	if !exists(endless.path) {
		t.Error("a stream of changes that never paused kept the state from being written past maxWait")
	}
}
