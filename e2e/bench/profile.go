package bench

import (
	"strconv"
	"strings"
)

// Stage is one step of the controller's pipeline and its share of a CPU profile.
type Stage struct {
	Name, Function string
	// CumPercent is the share of profile samples in the function and what it calls.
	CumPercent float64
}

// pipelineStages are the functions each rebuild goes through, in order, and the garbage collector
// that pays for their allocations.
var pipelineStages = []Stage{
	{Name: "read the objects from the cache (snapshot)", Function: "controller/source.(*Kube).Snapshot"},
	{Name: "build the model", Function: "controller/translate.build"},
	{Name: "plan, render and apply to HAProxy", Function: "haproxy.(*Manager).Apply"},
	{Name: "compare and write status", Function: "controller/status.(*KubeWriter).Write"},
	{Name: "garbage collection", Function: "runtime.gcBgMarkWorker"},
}

// StageShares reads the cumulative percentages of the pipeline's stages from the output of
// `go tool pprof -top -cum`.
func StageShares(top string) []Stage {
	var out []Stage
	for _, stage := range pipelineStages {
		for _, line := range strings.Split(top, "\n") {
			f := strings.Fields(line)
			// flat flat% sum% cum cum% function
			if len(f) < 6 || !strings.HasSuffix(f[5], stage.Function) {
				continue
			}
			if v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64); err == nil {
				stage.CumPercent = v
				out = append(out, stage)
			}
			break
		}
	}
	return out
}
