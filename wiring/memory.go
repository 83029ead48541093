package wiring

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// defaultGCPercent is the garbage collector's goal when GOGC is not set. Most of the controller's
// heap is the informer cache and the last model, which live as long as the process; Go's default
// of 100 lets the heap grow to twice that before each collection, memory held for garbage. At 50
// it grows by half: with 10,000 routes about 10% less resident memory, for more collections on
// each change (which the convergence figures in BENCHMARKS.md include).
const defaultGCPercent = 50

// maxGarbage bounds the garbage a large heap builds up between collections. Half of the live heap
// is about 33 MiB with 10,000 routes (and 20,000 other objects cached), 85 MiB with 50,000: the
// live heap grows with the routes, a change's garbage much less. Above twice this much live heap
// a soft memory limit of the live heap, this much garbage and the runtime's own memory takes over
// from the percentage: the collector then runs sooner, and the runtime returns the pages it does
// not use at once (with the percentage alone it keeps about a tenth more than its goal resident).
const maxGarbage = 40 << 20

// configureGC applies defaultGCPercent and starts a gcTuner that keeps the memory limit at the
// live heap and maxGarbage, unless GOGC is set (then nil). GOMEMLIMIT, which the Helm chart sets
// from the container's memory limit, stays the highest limit the tuner sets.
func configureGC() *gcTuner {
	if _, set := os.LookupEnv("GOGC"); set {
		return nil
	}
	debug.SetGCPercent(defaultGCPercent)
	t := newGCTuner(maxGarbage, debug.SetMemoryLimit(-1))
	t.arm()
	return t
}

// memoryLimitFor is the soft memory limit for a live heap of live bytes, with other bytes of the
// runtime's own (stacks, its metadata, room inside spans): none (ceiling) while defaultGCPercent
// lets less than maxGarbage build up, else room for maxGarbage, never above ceiling.
func memoryLimitFor(live, other, maxGarbage uint64, ceiling int64) int64 {
	if live*defaultGCPercent/100 <= maxGarbage {
		return ceiling
	}
	// Whole MiB: a collection after another leaves a few KiB more or less live.
	const mib = 1 << 20
	return min(int64((live+maxGarbage+other+mib-1)/mib*mib), ceiling)
}

// gcTuner sets the memory limit from the live heap each collection leaves.
type gcTuner struct {
	maxGarbage uint64
	// ceiling is the memory limit the process started with: GOMEMLIMIT's, or none (the largest
	// int64).
	ceiling int64
	// mu keeps stop from coming between a tune's check and its limit.
	mu      sync.Mutex
	stopped bool
	limit   int64
	sample  []metrics.Sample
}

func newGCTuner(maxGarbage uint64, ceiling int64) *gcTuner {
	return &gcTuner{maxGarbage: maxGarbage, ceiling: ceiling, limit: ceiling, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}}
}

// gcCycle is made to become garbage: its cleanup runs after the collection that finds it so. It
// holds a pointer, so it is never one of the tiny allocations that share a block.
type gcCycle struct{ _ *gcCycle }

// arm has tune run after the next collection, and arm again then, until stop.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcCycle), func(t *gcTuner) {
		if t.tune() {
			t.arm()
		}
	}, t)
}

// tune sets the limit for the live heap the last collection left; false once stopped.
func (t *gcTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.sample)
	var v [5]uint64
	for i, s := range t.sample {
		if s.Value.Kind() != metrics.KindUint64 {
			return true
		}
		v[i] = s.Value.Uint64()
	}
	live, total, released, objects, free := v[0], v[1], v[2], v[3], v[4]
	// What the runtime holds besides heap objects and free pages: the part of the limit that is
	// not the heap's.
	var other uint64
	if held := released + objects + free; total > held {
		other = total - held
	}
	if limit := memoryLimitFor(live, other, t.maxGarbage, t.ceiling); limit != t.limit {
		debug.SetMemoryLimit(limit)
		t.limit = limit
	}
	return true
}

// stop ends the tuning and gives the memory limit back to what it was.
func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	debug.SetMemoryLimit(t.ceiling)
}
