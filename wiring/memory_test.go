package wiring

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	old, had := os.LookupEnv("GOGC")
	before := debug.SetGCPercent(100)
	t.Cleanup(func() {
		debug.SetGCPercent(before)
		if had {
			os.Setenv("GOGC", old)
		} else {
			os.Unsetenv("GOGC")
		}
	})

	os.Unsetenv("GOGC")
	setGCPercent()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("without GOGC: the collector's goal is %d, want %d", got, defaultGCPercent)
	}

	// GOGC set: the runtime read it at start; setGCPercent leaves the goal alone.
	os.Setenv("GOGC", "80")
	debug.SetGCPercent(80)
	setGCPercent()
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("with GOGC=80: the collector's goal is %d, want 80", got)
	}
}
