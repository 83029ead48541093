package wiring

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector's goal when GOGC is not set. Most of the controller's
// heap is the informer cache and the last model, which live as long as the process; Go's default
// of 100 lets the heap grow to twice that before each collection, memory held for garbage. At 50
// it grows by half: with 10,000 routes about 10% less resident memory, for more collections on
// each change (which the convergence figures in BENCHMARKS.md include).
const defaultGCPercent = 50

// setGCPercent applies defaultGCPercent unless GOGC is set. GOMEMLIMIT, which the Helm chart
// sets from the container's memory limit, works on top of either.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
