package wiring

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Run("GOGC unset", func(t *testing.T) {
		if v, set := os.LookupEnv("GOGC"); set {
			t.Cleanup(func() { os.Setenv("GOGC", v) })
			os.Unsetenv("GOGC")
		}
		debug.SetGCPercent(100)
		tuneGC()
		if got := debug.SetGCPercent(100); got != gcPercent {
			t.Errorf("GC percent %d, want %d", got, gcPercent)
		}
	})
	t.Run("GOGC set", func(t *testing.T) {
		t.Setenv("GOGC", "80")
		debug.SetGCPercent(80)
		tuneGC()
		if got := debug.SetGCPercent(100); got != 80 {
			t.Errorf("GC percent %d, want the environment's 80", got)
		}
	})
}
