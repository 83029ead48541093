package haproxy

import "testing"

// TestOutputParser reads the lines HAProxy 2.6.12 wrote in one start, reload and stop, in order.
func TestOutputParser(t *testing.T) {
	lines := []struct {
		line     string
		severity Severity
		pid      int
		message  string
	}{
		{"[NOTICE]   (28750) : New worker (28761) forked", SeverityInfo, 28750, "New worker (28761) forked"},
		{"[NOTICE]   (28750) : Loading success.", SeverityInfo, 28750, "Loading success."},
		{`[WARNING]  (28761) : Server be1/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.`, SeverityWarning, 28761,
			`Server be1/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.`},
		{`<1>Server be1/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.`, SeverityDebug, 0,
			`Server be1/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.`},
		{"[ALERT]    (28761) : backend 'be1' has no server available!", SeverityError, 28761, "backend 'be1' has no server available!"},
		{"<0>backend be1 has no server available!", SeverityDebug, 0, "backend be1 has no server available!"},
		{"[NOTICE]   (28750) : Reloading HAProxy", SeverityInfo, 28750, "Reloading HAProxy"},
		{"[WARNING]  (28761) : Proxy fe1 stopped (cumulated conns: FE: 0, BE: 0).", SeverityDebug, 28761, "Proxy fe1 stopped (cumulated conns: FE: 0, BE: 0)."},
		{"<4>Proxy fe1 stopped (cumulated conns: FE: 0, BE: 0).", SeverityDebug, 0, "Proxy fe1 stopped (cumulated conns: FE: 0, BE: 0)."},
		{"[WARNING]  (28761) : Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).", SeverityDebug, 28761, "Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0)."},
		{"[WARNING]  (28761) : Stopping backend httproute:default:a:rule0 in 0 ms.", SeverityDebug, 28761, "Stopping backend httproute:default:a:rule0 in 0 ms."},
		{"[WARNING]  (28750) : Former worker (28761) exited with code 0 (Exit)", SeverityInfo, 28750, "Former worker (28761) exited with code 0 (Exit)"},
		{"[WARNING]  (28750) : Former worker (28761) exited with code 139 (Segmentation fault)", SeverityWarning, 28750, "Former worker (28761) exited with code 139 (Segmentation fault)"},
		{"[WARNING]  (28750) : Reexecuting Master process", SeverityInfo, 28750, "Reexecuting Master process"},
		{"[WARNING]  (28750) : config : parsing [h.cfg:14] : 'server s1' : could not resolve address.", SeverityWarning, 28750, "config : parsing [h.cfg:14] : 'server s1' : could not resolve address."},
		// A log line that repeats nothing keeps its priority.
		{"<3>Server be2/s1 is going DOWN for maintenance.", SeverityError, 0, "Server be2/s1 is going DOWN for maintenance."},
		{"<5>Server be2/s1 is UP.", SeverityInfo, 0, "Server be2/s1 is UP."},
		{"<7>something for debugging", SeverityDebug, 0, "something for debugging"},
		{"[ALERT]    (28750) : Current worker (28876) exited with code 143 (Terminated)", SeverityError, 28750, "Current worker (28876) exited with code 143 (Terminated)"},
		{"[WARNING]  (28750) : All workers exited. Exiting... (0)", SeverityInfo, 28750, "All workers exited. Exiting... (0)"},
		{"a line with no prefix\r", SeverityInfo, 0, "a line with no prefix"},
		// An endpoint that moves, through the runtime API: add a server, put it in service, take
		// the old one out, delete it. The message is routine; its log line repeats it.
		{"[NOTICE]   (15636) : CLI : 'server b/n1' : New server registered.", SeverityInfo, 15636, "CLI : 'server b/n1' : New server registered."},
		{"[WARNING]  (15636) : CLI : Server b/n1 is UP/READY (leaving forced maintenance).", SeverityInfo, 15636, "CLI : Server b/n1 is UP/READY (leaving forced maintenance)."},
		{"<5>Server b/n1 is UP/READY (leaving forced maintenance).", SeverityDebug, 0, "Server b/n1 is UP/READY (leaving forced maintenance)."},
		{"[WARNING]  (15636) : CLI : Server b/n0 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", SeverityInfo, 15636,
			"CLI : Server b/n0 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."},
		{"<1>Server b/n0 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", SeverityDebug, 0,
			"Server b/n0 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."},
		// The last server gone is worth an error, whoever took it out; its log line is a repeat.
		{"[ALERT]    (15636) : CLI : backend 'b' has no server available!", SeverityError, 15636, "CLI : backend 'b' has no server available!"},
		{"<0>backend b has no server available!", SeverityDebug, 0, "backend b has no server available!"},
		{"[NOTICE]   (15636) : CLI : Server deleted.", SeverityInfo, 15636, "CLI : Server deleted."},
	}
	var p OutputParser
	for _, l := range lines {
		got := p.Parse(l.line)
		if got.Severity != l.severity || got.PID != l.pid || got.Message != l.message {
			t.Errorf("%q:\n got %+v\nwant severity %d pid %d message %q", l.line, got, l.severity, l.pid, l.message)
		}
	}
}
