package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/procs"
)

// MemoryKiB reads one field of /proc/<pid>/status, such as VmHWM (peak resident set) or VmRSS,
// in KiB.
func MemoryKiB(pid int, field string) (int64, error) { return procs.KiB(pid, "status", field) }

// Machine describes where the figures were measured.
type Machine struct {
	CPU, Kernel, HAProxy, Go, Commit string
	Cores                            int
	MemoryMiB                        int64
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute figures when the run started.
	LoadAverage string
}

// firstMatch returns the text after "key:" on the first line of path that starts with key.
func firstMatch(path, key string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, key) {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// DescribeMachine reads the CPU, memory, kernel and load average from /proc.
func DescribeMachine() Machine {
	m := Machine{CPU: firstMatch("/proc/cpuinfo", "model name")}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.Cores = strings.Count(string(raw), "\nprocessor") + boolInt(strings.HasPrefix(string(raw), "processor"))
	}
	if kb, err := strconv.ParseInt(strings.TrimSuffix(firstMatch("/proc/meminfo", "MemTotal"), " kB"), 10, 64); err == nil {
		m.MemoryMiB = kb / 1024
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(raw)); len(f) >= 3 {
			m.LoadAverage = strings.Join(f[:3], " ")
		}
	}
	return m
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CPUSeconds is the user and system CPU time pid used so far (/proc/<pid>/stat; "self" for this
// process).
func CPUSeconds(pid string) (float64, error) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields are counted after its closing parenthesis.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: %v %v", pid, err1, err2)
	}
	// USER_HZ is 100 on Linux.
	return (utime + stime) / 100, nil
}
