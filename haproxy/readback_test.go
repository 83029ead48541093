package haproxy

import (
	"slices"
	"testing"
)

// A "show servers state" answer of HAProxy 2.6: one server running, one in maintenance (as a
// dynamic server is before it is enabled).
const serversStateAnswer = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
2 tlsroute:default:foo:rule0 1 foo-svc:10.244.0.10:9443 10.244.0.10 2 0 3 3 0 1 0 2 0 0 0 0 - 9443 - 0 0 - - 0
2 tlsroute:default:foo:rule0 2 foo-svc:10.244.0.11:9443 10.244.0.11 0 5 1 1 0 1 0 0 8 0 0 0 - 9443 - 0 0 - - 0

`

func TestParseServersState(t *testing.T) {
	got, err := ParseServersState(serversStateAnswer)
	if err != nil {
		t.Fatal(err)
	}
	want := []ServerState{
		{Backend: "tlsroute:default:foo:rule0", ServerLine: ServerLine{Name: "foo-svc:10.244.0.10:9443", Address: "10.244.0.10:9443", Weight: 3}, Running: true},
		{Backend: "tlsroute:default:foo:rule0", ServerLine: ServerLine{Name: "foo-svc:10.244.0.11:9443", Address: "10.244.0.11:9443", Weight: 1}},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// A backend without servers has the header only; an error message has none.
	if got, err := ParseServersState("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_port\n"); err != nil || len(got) != 0 {
		t.Errorf("no servers: %v, %v", got, err)
	}
	if _, err := ParseServersState("Can't find backend.\n"); err == nil {
		t.Error("an answer without a header parsed")
	}
}

// mapEntry looks one key up in a map as readBack does: its value, and whether it is there.
func (r *runtimeAPI) mapEntry(path, key string) (string, bool, error) {
	answers, err := r.answers([]string{"get map " + path + " " + key})
	if err != nil {
		return "", false, err
	}
	return mapEntryIn(answers[0])
}

// showServers reads a backend's servers as readBack does.
func (r *runtimeAPI) showServers(backend string) ([]ServerState, error) {
	answers, err := r.answers([]string{"show servers state " + backend})
	if err != nil {
		return nil, err
	}
	return serversIn(answers[0], func(s ServerState) bool { return !s.Running })
}
