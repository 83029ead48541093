package procs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// KiB reads a "Field:  N kB" line of /proc/<pid>/<file>, as status (VmRSS, VmHWM) and
// smaps_rollup (AnonHugePages) write them, in KiB.
func KiB(pid int, file, field string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s has no %s", path, field)
}
