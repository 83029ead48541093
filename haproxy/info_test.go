package haproxy

import "testing"

func TestInfoPID(t *testing.T) {
	for _, c := range []struct {
		out  string
		want int
	}{
		{"Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2025/10/02\nNbthread: 2\nNbproc: 1\nProcess_num: 1\nPid: 8361\nUptime: 0d 0h00m03s\n", 8361},
		{"Name: HAProxy\nPpid: 8359\n", 0},
		{"Pid: not a number\n", 0},
		{"", 0},
	} {
		if got := InfoPID(c.out); got != c.want {
			t.Errorf("InfoPID(%q) = %d, want %d", c.out, got, c.want)
		}
	}
}
