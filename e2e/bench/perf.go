package bench

import (
	"bytes"
	"cmp"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PerfProfile is where a process spent its CPU while perf sampled it: the shares of the samples by
// object (the kernel, each library, the program) and the kernel's entry points that took most,
// each with what it calls: system calls, and the processing of packets, which over loopback runs
// in the process that sent them.
type PerfProfile struct {
	// Command reads the recording again.
	Command string
	// Samples is perf's own count of them, as it prints it ("6K").
	Samples string
	Objects []Share
	Kernel  []Share
	// Err says why there is no profile (perf missing, say); the rest is empty then.
	Err string `json:",omitempty"`
}

// Share is one part of a profile and its percentage of the samples.
type Share struct {
	Name    string
	Percent float64
}

// perfHz is the sampling rate: a prime, so the samples do not keep step with a periodic timer.
const perfHz = 499

// RecordPerf samples pid's CPU with call chains for d into out.
func RecordPerf(pid int, d time.Duration, out string) error {
	cmd := exec.Command("perf", "record", "-q", "-F", strconv.Itoa(perfHz), "-g", "-p", strconv.Itoa(pid), "-o", out,
		"--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("perf record: %v: %s", err, bytes.TrimSpace(b))
	}
	return nil
}

// ReadPerf reads where the samples of a recording went: every object with at least minShare of
// them, and the kernel's system calls and packet processing, the largest first.
func ReadPerf(path string) (*PerfProfile, error) {
	byObject, err := perfReport(path, "--no-children", "--sort", "dso")
	if err != nil {
		return nil, err
	}
	bySymbol, err := perfReport(path, "--children", "--sort", "sym")
	if err != nil {
		return nil, err
	}
	prof := &PerfProfile{Samples: perfSamples(byObject)}
	for _, line := range strings.Split(byObject, "\n") {
		// "    58.39%  [kernel.kallsyms]"
		f := strings.Fields(line)
		if len(f) != 2 || strings.HasPrefix(line, "#") {
			continue
		}
		if v, ok := percent(f[0]); ok && v >= minShare {
			prof.Objects = append(prof.Objects, Share{f[1], v})
		}
	}
	for _, line := range strings.Split(bySymbol, "\n") {
		// "    50.88%     1.73%  [k] do_syscall_64": with what it calls, then its own
		f := strings.Fields(line)
		if len(f) != 4 || f[2] != "[k]" || !kernelEntry(f[3]) {
			continue
		}
		if v, ok := percent(f[0]); ok && v >= minShare {
			prof.Kernel = append(prof.Kernel, Share{f[3], v})
		}
	}
	slices.SortStableFunc(prof.Kernel, func(a, b Share) int { return cmp.Compare(b.Percent, a.Percent) })
	prof.Kernel = prof.Kernel[:min(len(prof.Kernel), kernelEntries)]
	return prof, nil
}

// minShare is the least share of samples a part needs to be listed; kernelEntries bounds the
// kernel's entry points listed.
const (
	minShare      = 0.5
	kernelEntries = 8
)

// kernelEntry tells the kernel functions that say what the kernel did for a process: all its
// system calls (do_syscall_64), each kind of call (their names differ between kernels, the
// __sys_ and ksys_ layer below the dispatch does not), and the processing of packets (softirqs),
// which runs on the time of whoever was on the CPU then.
func kernelEntry(symbol string) bool {
	for _, prefix := range []string{"__sys_", "ksys_", "do_epoll_"} {
		if strings.HasPrefix(symbol, prefix) {
			return true
		}
	}
	return symbol == "do_syscall_64" || symbol == "handle_softirqs" || symbol == "__do_softirq"
}

func perfReport(path string, args ...string) (string, error) {
	cmd := exec.Command("perf", append([]string{"report", "-i", path, "--stdio", "-g", "none"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("perf report %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// perfSamples finds the count in perf report's header ("# Samples: 6K of event 'cpu-clock'").
func perfSamples(report string) string {
	for _, line := range strings.Split(report, "\n") {
		if rest, ok := strings.CutPrefix(line, "# Samples: "); ok {
			return strings.Fields(rest)[0]
		}
	}
	return "?"
}

func percent(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return v, err == nil && strings.HasSuffix(s, "%")
}
