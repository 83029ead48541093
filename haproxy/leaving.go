package haproxy

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
)

// HAProxy 2.6 deletes a server ("del server") once no connection, idle connection or queued
// request counts it. A stream whose connection to the server failed counts in none of them, yet
// still names the server: while it waits to try again (up to a second per retry) and until it
// ends and logs. Deleting the server then leaves that stream with freed memory, and the worker
// crashes; HAProxy 3.0 and later count such streams too. So a server that leaves is taken out of
// service at once (maintenance, its sessions shut down) and deleted only leavingDelay later, when
// no such stream can be left; the certificates and CA files that go with it wait behind it.

// leavingDelay is how long a server stays in maintenance before it is deleted: longer than the
// retries a stream may still make (three by default, each after up to a second).
const leavingDelay = 5 * time.Second

// deletion is a runtime deletion that waits for its time: of a server (Backend, Server), a
// certificate or a CA file (File).
type deletion struct {
	Kind    OpKind `json:"kind"`
	Backend string `json:"backend,omitempty"`
	Server  string `json:"server,omitempty"`
	File    string `json:"file,omitempty"`
	// Due is when the deletion may run; a restarted controller counts it from its start.
	Due time.Time `json:"-"`
}

// UnmarshalJSON reads a deletion from a saved state and refuses one this controller does not make,
// or whose names the runtime socket would not read as one argument each: a restarted controller
// sends them without a plan, and a state it cannot read leaves what runs unknown (see recoverLive).
func (d *deletion) UnmarshalJSON(raw []byte) error {
	type fields deletion // without this method
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil {
		return err
	}
	read := deletion(f)
	names := []string{read.File}
	switch read.Kind {
	case DelServer:
		names = []string{read.Backend, read.Server}
	case DelCert, DelCAFile:
	default:
		return fmt.Errorf("%s is not a deletion", read.Kind)
	}
	for _, name := range names {
		if name == "" || !syntax.RuntimeArg(name) {
			return fmt.Errorf("%s names %s, which cannot be sent to the runtime API", read.Kind, syntax.Printable(name))
		}
	}
	*d = read
	return nil
}

// leaving are the deletions that wait, in order of their due time: what the workers still hold
// that the configuration no longer names. It is never changed in place.
type leaving []deletion

// op is the command that carries out the deletion.
func (d deletion) op() Op {
	switch d.Kind {
	case DelCert:
		return Op{Kind: DelCert, Cert: d.File}
	case DelCAFile:
		return Op{Kind: DelCAFile, CAFile: d.File}
	}
	return Op{Kind: DelServer, Backend: d.Backend, Server: d.Server}
}

// deletionOf is the deletion an op carries out; false for other ops.
func deletionOf(op Op) (deletion, bool) {
	switch op.Kind {
	case DelServer:
		return deletion{Kind: DelServer, Backend: op.Backend, Server: op.Server}, true
	case DelCert:
		return deletion{Kind: DelCert, File: op.Cert}, true
	case DelCAFile:
		return deletion{Kind: DelCAFile, File: op.CAFile}, true
	}
	return deletion{}, false
}

// schedule splits a plan's ops into those to run now and the deletions left waiting, for delay:
//   - the deletions due by now run after the change's own ops, so that what the change brings
//     into service does not wait behind the deletions of earlier ones; before them when the
//     change deletes a certificate or CA file at once, which a due server may still use;
//   - an op that brings back what waits for deletion takes it back instead: a server added under
//     a leaving server's name gets that server back into service with its weight (the name says
//     everything else about it, see serverName), and a certificate or CA file loaded under a
//     leaving one's path is the same file, whose content the ops that follow set again;
//   - the plan's server deletions wait, and so do its certificate and CA file deletions while any
//     server does (it may present the certificate or verify with the CA file).
func (l leaving) schedule(ops []Op, now time.Time, delay time.Duration) (run []Op, rest leaving) {
	// A burst of deleted routes leaves thousands of servers waiting: look them up by key.
	index := make(map[deletion]int, len(l))
	for i, d := range l {
		index[d.key()] = i
	}
	taken := make([]bool, len(l))
	takeBack := func(want deletion) bool {
		i, ok := index[want]
		if ok {
			taken[i] = true
		}
		return ok
	}
	planned := make([]Op, 0, len(ops))
	for _, op := range ops {
		switch {
		case op.Kind == AddServer && takeBack(deletion{Kind: DelServer, Backend: op.Backend, Server: op.Server}):
			op = Op{Kind: SetWeight, Backend: op.Backend, Server: op.Server, Weight: op.Weight}
		case op.Kind == NewCert && takeBack(deletion{Kind: DelCert, File: op.Cert}),
			op.Kind == NewCAFile && takeBack(deletion{Kind: DelCAFile, File: op.CAFile}):
			continue
		}
		planned = append(planned, op)
	}
	var waiting leaving
	for i, d := range l {
		if !taken[i] {
			waiting = append(waiting, d)
		}
	}
	var due []Op
	for _, d := range waiting {
		if d.Due.After(now) {
			break
		}
		due = append(due, d.op())
	}
	rest = slices.Clip(waiting[len(due):])
	later := now.Add(delay)
	deletesNow := false
	for _, op := range planned {
		if d, ok := deletionOf(op); ok {
			if op.Kind == DelServer || len(rest) > 0 {
				d.Due = later
				rest = append(rest, d)
				continue
			}
			deletesNow = true
		}
		run = append(run, op)
	}
	if deletesNow {
		// A certificate or CA file the change deletes may be one a due server still uses.
		run = slices.Concat(due, run)
	} else {
		run = append(run, due...)
	}
	if len(rest) == 0 {
		rest = nil
	}
	return run, rest
}

// key is the deletion without its time: what it deletes.
func (d deletion) key() deletion {
	d.Due = time.Time{}
	return d
}

// servers are the servers that wait for deletion, each as the deletion that waits.
func (l leaving) servers() map[deletion]bool {
	out := make(map[deletion]bool, len(l))
	for _, d := range l {
		if d.Kind == DelServer {
			out[d.key()] = true
		}
	}
	return out
}

// holds reports whether a server of backend (a section of the workers) is among servers.
func holds(servers map[deletion]bool, backend, server string) bool {
	return servers[deletion{Kind: DelServer, Backend: backend, Server: server}]
}

// due reports whether a deletion may run by now.
func (l leaving) due(now time.Time) bool { return len(l) > 0 && !l[0].Due.After(now) }

// restarted is the deletions a new controller process finds in the saved state: due once delay
// has passed again, as nothing tells when they were planned.
func (l leaving) restarted(now time.Time, delay time.Duration) leaving {
	out := slices.Clone(l)
	for i := range out {
		out[i].Due = now.Add(delay)
	}
	return out
}

// MarshalText writes an op kind as its command, so that a saved state reads plainly and does not
// depend on the order of the constants.
func (k OpKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads an op kind written by MarshalText.
func (k *OpKind) UnmarshalText(text []byte) error {
	for kind := NewCert; kind <= DelCAFile; kind++ {
		if kind.String() == string(text) {
			*k = kind
			return nil
		}
	}
	return fmt.Errorf("unknown runtime command %q", text)
}
