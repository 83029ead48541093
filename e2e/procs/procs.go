// Package procs reads /proc for tests: the processes that run and the memory they hold.
package procs

import (
	"os"
	"strconv"
	"strings"
)

// HAProxyMasters counts the HAProxy masters started with master socket socket: processes with
// that argument whose parent has none (workers are forked from their master and share its
// command line).
func HAProxyMasters(socket string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	onSocket := func(pid string) bool {
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		return err == nil && strings.Contains(string(cmdline), "\x00-S\x00"+socket+",")
	}
	n := 0
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil || !onSocket(entry.Name()) {
			continue
		}
		status, _ := os.ReadFile("/proc/" + entry.Name() + "/status")
		_, rest, _ := strings.Cut(string(status), "PPid:")
		ppid, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
		if !onSocket(ppid) {
			n++
		}
	}
	return n, nil
}
