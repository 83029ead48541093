package wiring

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestConfigureGC(t *testing.T) {
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
	tuner := configureGC()
	if tuner == nil {
		t.Fatal("without GOGC: no tuner")
	}
	tuner.stop()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("without GOGC: the collector's goal is %d, want %d", got, defaultGCPercent)
	}

	// GOGC set: the runtime read it at start; configureGC leaves the goal alone.
	os.Setenv("GOGC", "80")
	debug.SetGCPercent(80)
	if configureGC() != nil {
		t.Error("with GOGC=80: a tuner was started")
	}
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("with GOGC=80: the collector's goal is %d, want 80", got)
	}
}

func TestMemoryLimitFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, other uint64
		ceiling     int64
		want        int64
	}{
		{0, 10 * mib, math.MaxInt64, math.MaxInt64},
		{96 * mib, 10 * mib, math.MaxInt64, math.MaxInt64},
		{97 * mib, 10 * mib, math.MaxInt64, 155 * mib},
		{170 * mib, 12*mib + 100, math.MaxInt64, 231 * mib},
		{170 * mib, 12 * mib, 200 * mib, 200 * mib},
		{40 * mib, 12 * mib, 200 * mib, 200 * mib},
	} {
		if got := memoryLimitFor(c.live, c.other, 48*mib, c.ceiling); got != c.want {
			t.Errorf("live %d, other %d, ceiling %d: limit %d, want %d", c.live, c.other, c.ceiling, got, c.want)
		}
	}
}

// The tuner sets a limit once a collection finds a live heap whose half is above its bound, and
// takes it away once that heap is gone.
func TestGCTunerFollowsTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	const maxGarbage = 4 * mib
	ceiling := debug.SetMemoryLimit(-1)
	tuner := newGCTuner(maxGarbage, ceiling)
	tuner.arm()
	t.Cleanup(tuner.stop)

	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 256<<10) // 16 MiB in all
	}
	limit := waitForLimit(t, func(l int64) bool { return l < ceiling })
	// The test's own heap and the runtime's memory come on top of the 16 MiB.
	if limit < 20*mib || limit > 64*mib {
		t.Errorf("with 16 MiB live and %d MiB of garbage allowed the limit is %d MiB, want 20-64", maxGarbage/mib, limit/mib)
	}
	// Unused from here on, the 16 MiB are garbage for the next collection.
	runtime.KeepAlive(live)
	waitForLimit(t, func(l int64) bool { return l == ceiling })
	tuner.stop()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != ceiling {
		t.Errorf("after stop the limit is %d, want %d", got, ceiling)
	}
}

// waitForLimit collects until the memory limit satisfies ok, and returns it.
func waitForLimit(t *testing.T, ok func(int64) bool) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		// The tuner runs in the cleanup goroutine after the collection.
		time.Sleep(10 * time.Millisecond)
		sample := []metrics.Sample{{Name: "/gc/gomemlimit:bytes"}}
		metrics.Read(sample)
		limit := int64(sample[0].Value.Uint64())
		if ok(limit) {
			return limit
		}
		if time.Now().After(deadline) {
			t.Fatalf("the memory limit stayed at %d", limit)
		}
	}
}
