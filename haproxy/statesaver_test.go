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
