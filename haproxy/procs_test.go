package haproxy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseProcs reads a "show proc" answer of HAProxy 2.6 after two reloads, one failed, with an
// old worker still draining.
func TestParseProcs(t *testing.T) {
	answer := `#<PID>          <type>          <reloads>       <uptime>        <version>
1000            master          2 [failed: 1]   0d00h01m02s     2.6.12-1+deb12u4
# workers
1010            worker          0               0d00h00m10s     2.6.12-1+deb12u4
# old workers
1003            worker          1               0d00h00m50s     2.6.12-1+deb12u4
# programs

`
	got, err := ParseProcs(answer)
	if err != nil {
		t.Fatal(err)
	}
	want := Procs{Master: 1000, Current: []int{1010}, Old: []int{1003}, Reloads: 2, FailedReloads: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
