package haproxy

import (
	"bufio"
	"strconv"
	"strings"
)

// Procs is what the master says of its processes ("show proc").
type Procs struct {
	Master int
	// Current are the workers on the configuration loaded last; Old are earlier workers still
	// draining their connections.
	Current, Old []int
	// Reloads is the master's reload count; FailedReloads its "[failed: N]" count (HAProxy
	// 2.6.10 and later).
	Reloads, FailedReloads int
}

// ParseProcs reads the answer of "show proc": "<PID> <type> <reloads> <uptime> <version>"
// lines, the old workers after a "# old workers" line.
func ParseProcs(out string) (Procs, error) {
	var p Procs
	if i := strings.Index(out, "[failed: "); i >= 0 {
		rest := out[i+len("[failed: "):]
		if j := strings.IndexByte(rest, ']'); j >= 0 {
			p.FailedReloads, _ = strconv.Atoi(rest[:j])
		}
	}
	section := ""
	lines := bufio.NewScanner(strings.NewReader(out))
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if strings.HasPrefix(line, "#") {
			section = line
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || (fields[1] != "worker" && fields[1] != "master") {
			continue
		}
		pid, err := strconv.Atoi(fields[0])
		if err != nil {
			continue
		}
		switch {
		case fields[1] == "master":
			p.Master = pid
			if len(fields) > 2 {
				p.Reloads, _ = strconv.Atoi(fields[2])
			}
		case strings.Contains(section, "old"):
			p.Old = append(p.Old, pid)
		default:
			p.Current = append(p.Current, pid)
		}
	}
	return p, lines.Err()
}
