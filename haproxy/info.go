package haproxy

import (
	"bufio"
	"strconv"
	"strings"
)

// InfoPID reads the process ID from the answer of "show info" ("Pid: <PID>" among its
// "Name: value" lines); 0 when it has none.
func InfoPID(out string) int {
	lines := bufio.NewScanner(strings.NewReader(out))
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), ":")
		if ok && name == "Pid" {
			pid, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil {
				return 0
			}
			return pid
		}
	}
	return 0
}
