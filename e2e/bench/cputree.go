package bench

import (
	"os"
	"strconv"
	"strings"
)

// ProcessTreeCPU sums the CPU seconds used so far by this process and every process it started,
// directly or not, by command name (the kube-apiserver, etcd, the controller, HAProxy, ...).
// Processes that ended are not counted, so take it while they run.
func ProcessTreeCPU() map[string]float64 {
	self := os.Getpid()
	parent := map[int]int{}
	name := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		f := strings.Fields(s[closing+1:])
		if open < 0 || len(f) < 2 {
			continue
		}
		name[pid] = s[open+1 : closing]
		parent[pid], _ = strconv.Atoi(f[1])
	}
	out := map[string]float64{}
	for pid := range name {
		for p := pid; p > 1; p = parent[p] {
			if p == self {
				if v, err := CPUSeconds(strconv.Itoa(pid)); err == nil {
					label := name[pid]
					if pid == self {
						label = "benchmark (clients, backends)"
					}
					out[label] += v
				}
				break
			}
		}
	}
	return out
}
