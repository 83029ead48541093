package haproxy

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLeavingSchedule: waiting deletions and a plan's ops -> the commands that run now and the
// deletions left waiting.
func TestLeavingSchedule(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	later := now.Add(leavingDelay)
	const be, ca, cert = "tlsroute:default:foo:rule0", "/etc/haproxy/certs/ca-1.pem", "/etc/haproxy/certs/b1.pem"
	leave := func(server string) []Op {
		return []Op{{Kind: DrainServer, Backend: be, Server: server}, {Kind: ShutdownSessions, Backend: be, Server: server}, {Kind: DelServer, Backend: be, Server: server}}
	}
	waitingServer := func(server string, due time.Time) deletion {
		return deletion{Kind: DelServer, Backend: be, Server: server, Due: due}
	}
	for _, tc := range []struct {
		name    string
		waiting leaving
		ops     []Op
		run     []string
		rest    leaving
	}{{
		name: "a server that leaves is drained now and deleted later, with the CA file it named",
		ops:  append(leave("a"), Op{Kind: DelCAFile, CAFile: ca}),
		run:  []string{"set server " + be + "/a state maint", "shutdown sessions server " + be + "/a"},
		rest: leaving{waitingServer("a", later), {Kind: DelCAFile, File: ca, Due: later}},
	}, {
		name:    "what is due runs after the change, in order; what is not stays",
		waiting: leaving{waitingServer("a", now.Add(-time.Second)), {Kind: DelCert, File: cert, Due: now}, waitingServer("b", now.Add(time.Second))},
		ops:     []Op{{Kind: AddServer, Backend: be, Server: "c", Address: "10.0.0.3:80", Weight: 1}},
		run:     []string{"add server " + be + "/c 10.0.0.3:80 weight 1", "del server " + be + "/a", "del ssl cert " + cert},
		rest:    leaving{waitingServer("b", now.Add(time.Second))},
	}, {
		name:    "what is due runs before a certificate the change deletes at once",
		waiting: leaving{waitingServer("a", now.Add(-time.Second))},
		ops: []Op{{Kind: AddServer, Backend: be, Server: "c", Address: "10.0.0.3:80", Weight: 1},
			{Kind: DelCrtListEntry, CrtList: "/l", Line: cert}, {Kind: DelCert, Cert: cert}},
		run: []string{"del server " + be + "/a", "add server " + be + "/c 10.0.0.3:80 weight 1", "del ssl crt-list /l " + cert, "del ssl cert " + cert},
	}, {
		name:    "a certificate freed while a server waits waits behind it",
		waiting: leaving{waitingServer("a", now.Add(time.Second))},
		ops:     []Op{{Kind: DelCrtListEntry, CrtList: "/l", Line: cert + " [ssl]"}, {Kind: DelCert, Cert: cert}},
		run:     []string{"del ssl crt-list /l " + cert},
		rest:    leaving{waitingServer("a", now.Add(time.Second)), {Kind: DelCert, File: cert, Due: later}},
	}, {
		name: "a certificate freed while nothing waits goes at once",
		ops:  []Op{{Kind: DelCrtListEntry, CrtList: "/l", Line: cert}, {Kind: DelCert, Cert: cert}},
		run:  []string{"del ssl crt-list /l " + cert, "del ssl cert " + cert},
	}, {
		name:    "a server added under a leaving server's name takes it back, with its certificate and CA file",
		waiting: leaving{waitingServer("a", now.Add(time.Second)), {Kind: DelCert, File: cert, Due: now.Add(time.Second)}, {Kind: DelCAFile, File: ca, Due: now.Add(time.Second)}},
		ops: []Op{{Kind: NewCAFile, CAFile: ca}, {Kind: SetCAFile, CAFile: ca}, {Kind: CommitCAFile, CAFile: ca},
			{Kind: NewCert, Cert: cert}, {Kind: SetCert, Cert: cert}, {Kind: CommitCert, Cert: cert},
			{Kind: AddServer, Backend: be, Server: "a", Address: "10.0.0.1:80", Weight: 3}, {Kind: EnableServer, Backend: be, Server: "a"}},
		run: []string{"set ssl ca-file " + ca + " <<", "commit ssl ca-file " + ca, "set ssl cert " + cert + " <<", "commit ssl cert " + cert,
			"set server " + be + "/a weight 3", "set server " + be + "/a state ready"},
	}, {
		name:    "a server of the same name in another backend is another server",
		waiting: leaving{waitingServer("a", now.Add(time.Second))},
		ops:     []Op{{Kind: AddServer, Backend: "spare:0", Server: "a", Address: "10.0.0.1:80", Weight: 1}},
		run:     []string{"add server spare:0/a 10.0.0.1:80 weight 1"},
		rest:    leaving{waitingServer("a", now.Add(time.Second))},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.waiting)
			run, rest := tc.waiting.schedule(tc.ops, now, leavingDelay)
			var commands []string
			for _, op := range run {
				commands = append(commands, op.Command())
			}
			if diff := cmp.Diff(tc.run, commands); diff != "" {
				t.Errorf("commands run now (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.rest, rest); diff != "" {
				t.Errorf("deletions left waiting (-want +got):\n%s", diff)
			}
			if !slices.Equal(before, tc.waiting) {
				t.Errorf("schedule changed the waiting deletions in place: %v, was %v", tc.waiting, before)
			}
		})
	}
}

// TestLeavingSaved: the saved state names each waiting deletion by its command, and a restarted
// controller waits the delay again before running them.
func TestLeavingSaved(t *testing.T) {
	waiting := leaving{{Kind: DelServer, Backend: "b", Server: "s", Due: time.Now()}, {Kind: DelCAFile, File: "/ca.pem", Due: time.Now()}}
	var saved bytes.Buffer
	if err := encodeState(&saved, &savedState{Leaving: waiting}); err != nil {
		t.Fatal(err)
	}
	raw := saved.Bytes()
	want := `"leaving":[{"kind":"del server","backend":"b","server":"s"},{"kind":"del ssl ca-file","file":"/ca.pem"}]`
	if !strings.Contains(string(raw), want) {
		t.Fatalf("saved %s, want it to hold %s", raw, want)
	}
	var st savedState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := st.Leaving.restarted(start, leavingDelay)
	for i, d := range got {
		if d.Kind != waiting[i].Kind || d.Backend != waiting[i].Backend || d.Server != waiting[i].Server || d.File != waiting[i].File || !d.Due.Equal(start.Add(leavingDelay)) {
			t.Errorf("deletion %d read back as %+v, want %+v due %s", i, d, waiting[i], start.Add(leavingDelay))
		}
	}
	if got.due(start) || !got.due(start.Add(leavingDelay)) {
		t.Errorf("restarted deletions due at once or never: %+v", got)
	}
	for _, bad := range []string{
		`{"kind":"del everything"}`,
		`{"kind":"set server weight","backend":"b","server":"s"}`,
		`{"kind":"del server","backend":"b","server":"s;shutdown sessions server b/t"}`,
		`{"kind":"del server","backend":"b"}`,
		`{"kind":"del ssl cert","file":"/a b.pem"}`,
	} {
		var st savedState
		if err := json.Unmarshal([]byte(`{"leaving":[`+bad+`]}`), &st); err == nil {
			t.Errorf("the saved state's deletion %s was taken: %+v", bad, st.Leaving)
		}
	}
}
