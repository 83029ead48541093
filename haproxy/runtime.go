package haproxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientnative "github.com/haproxytech/client-native/v5/runtime"
	"github.com/haproxytech/client-native/v5/runtime/options"
)

// runtimeAPI runs ops on the worker's stats socket through client-native, except the commands
// that carry a payload (see sendPayload). Each command opens its own connection, so the client
// keeps working across reloads (the socket path stays the same).
type runtimeAPI struct {
	client clientnative.Runtime
	socket string
	// shared is the session of the batch under way, nil outside one.
	shared *cliSession
}

func newRuntimeAPI(ctx context.Context, statsSocket string) (*runtimeAPI, error) {
	c, err := clientnative.New(ctx, options.Socket(statsSocket))
	if err != nil {
		return nil, fmt.Errorf("runtime API on %s: %w", statsSocket, err)
	}
	return &runtimeAPI{client: c, socket: statsSocket}, nil
}

// run executes ops in order and stops at the first failure. A run of one-line ops goes down one
// connection at once (see cliSession); of those, the ones after a failure in the same chunk have
// run too, and the caller reloads after any failure, as after a failure anywhere. The others
// (payloads, certificates, CA files) go through client-native.
func (r *runtimeAPI) run(ops []Op) error {
	for i := 0; i < len(ops); {
		j := i
		for j < len(ops) && oneLine(ops[j].Kind) {
			j++
		}
		if j > i {
			if err := r.pipeline(ops[i:j]); err != nil {
				return err
			}
			i = j
			continue
		}
		if err := r.do(ops[i]); err != nil {
			return fmt.Errorf("%s: %w", ops[i].Command(), err)
		}
		i++
	}
	return nil
}

// oneLine are the ops whose command is one line that HAProxy answers with a line or none.
func oneLine(k OpKind) bool {
	switch k {
	case AddServer, EnableServer, SetWeight, DrainServer, ShutdownSessions, DelServer,
		AddMapEntry, SetMapEntry, DelMapEntry, DelCrtListEntry, DelCert:
		return true
	}
	return false
}

// answers runs commands that only read, on one connection, and returns their answers in order;
// an error answer is an error.
func (r *runtimeAPI) answers(commands []string) ([]string, error) {
	if len(commands) == 0 {
		return nil, nil
	}
	s, done, err := r.session()
	if err != nil {
		return nil, err
	}
	defer done()
	answers, err := s.run(commands)
	if err != nil {
		return nil, err
	}
	for i, answer := range answers {
		if msg, failed := errorAnswer(answer); failed {
			return nil, fmt.Errorf("%s: %s", commands[i], msg)
		}
	}
	return answers, nil
}

// session is the shared session while batch runs, else a session of its own; done ends the
// latter. A new one is tried twice, as client-native does.
func (r *runtimeAPI) session() (s *cliSession, done func(), err error) {
	if r.shared != nil {
		return r.shared, func() {}, nil
	}
	if s, err = openCLISession(r.socket); err != nil {
		s, err = openCLISession(r.socket)
	}
	if err != nil {
		return nil, nil, err
	}
	return s, s.close, nil
}

// batch runs fn with one session for all its one-line commands, so a change and its read-back
// cost one connection. The session ends with fn: a reload gives the stats socket to new workers,
// and a session kept open would still speak to the old ones.
func (r *runtimeAPI) batch(fn func() error) error {
	s, done, err := r.session()
	if err != nil {
		return err
	}
	r.shared = s
	defer func() { r.shared = nil; done() }()
	return fn()
}

// pipeline runs one-line ops on one connection. A server deleted right after its sessions were
// shut down may still count one (see deleteServer): it is asked again on its own, and the ops
// after it that failed are run again once.
func (r *runtimeAPI) pipeline(ops []Op) error {
	s, done, err := r.session()
	if err != nil {
		return err
	}
	defer done()
	for start := 0; start < len(ops); start += pipelineChunk {
		chunk := ops[start:min(start+pipelineChunk, len(ops))]
		commands := make([]string, len(chunk))
		for i, op := range chunk {
			commands[i] = op.Command()
		}
		answers, err := s.run(commands)
		if err != nil {
			return err
		}
		// deletedLate is set once a server is deleted again: an op after it in the chunk (freeing
		// a certificate the server used, say) may have failed only because it was still there.
		deletedLate := false
		for i, answer := range answers {
			msg, failed := errorAnswer(answer)
			if !failed {
				continue
			}
			if chunk[i].Kind == DelServer && strings.Contains(msg, "still has connections") {
				if err := r.deleteServer(chunk[i].Backend, chunk[i].Server); err == nil {
					deletedLate = true
					continue
				}
			} else if deletedLate {
				again, err := s.run(commands[i : i+1])
				if err != nil {
					return err
				}
				if msg, failed = errorAnswer(again[0]); !failed {
					continue
				}
			}
			return fmt.Errorf("%s: %s", commands[i], msg)
		}
	}
	return nil
}

// errorAnswer tells an error answer ("[0]:" to "[3]:" with "set severity-output number") and
// returns its message.
func errorAnswer(answer string) (string, bool) {
	if len(answer) > 4 && strings.Contains("[0]:[1]:[2]:[3]:", answer[:4]) {
		return strings.TrimSpace(answer[4:]), true
	}
	return "", false
}

func (r *runtimeAPI) do(op Op) error {
	switch op.Kind {
	case NewCert:
		return r.client.NewCertEntry(op.Cert)
	case SetCert:
		return r.setCert(op.Cert, op.Payload)
	case CommitCert:
		return r.client.CommitCertEntry(op.Cert)
	case NewCAFile:
		return r.newCAFile(op.CAFile)
	case SetCAFile:
		return r.setCAFile(op.CAFile, op.Payload)
	case CommitCAFile:
		return r.commitCAFile(op.CAFile)
	case DelCAFile:
		return r.delCAFile(op.CAFile)
	case AddCrtListEntry:
		file, options, filters := splitCrtListLine(op.Line)
		return r.client.AddCrtListEntry(op.CrtList, clientnative.CrtListEntry{File: file, SSLBindConfig: options, SNIFilter: filters})
	case DelCrtListEntry, DelCert:
		return r.raw(op.Command())
	case AddServer:
		return r.client.AddServer(op.Backend, op.Server, op.serverArgs())
	case EnableServer:
		return r.client.SetServerState(op.Backend, op.Server, "ready")
	case SetWeight:
		return r.client.SetServerWeight(op.Backend, op.Server, strconv.Itoa(int(op.Weight)))
	case AddMapEntry, SetMapEntry, DelMapEntry:
		// By path, as haproxy.cfg names the map: client-native's map methods rewrite names
		// (dots become underscores), and Kubernetes names have dots.
		return r.raw(op.Command())
	case ReplaceMap:
		return r.replaceMap(op.Map, op.Entries)
	case DrainServer:
		return r.client.SetServerState(op.Backend, op.Server, "maint")
	case ShutdownSessions:
		return r.raw(op.Command())
	case DelServer:
		return r.deleteServer(op.Backend, op.Server)
	}
	return fmt.Errorf("unknown op")
}

// delServerPatience is how long a server whose sessions were shut down may still hold a
// connection before "del server" counts as failed.
const delServerPatience = 500 * time.Millisecond

// deleteServer deletes a drained server. "shutdown sessions server" (the op before) ends its
// connections asynchronously, so a worker may still count one for a moment and refuse: it is
// asked again until delServerPatience has passed.
func (r *runtimeAPI) deleteServer(backend, server string) error {
	deadline := time.Now().Add(delServerPatience)
	for {
		err := r.client.DeleteServer(backend, server)
		if err == nil || !strings.Contains(err.Error(), "still has connections") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// replaceMap loads a new version of a map beside the live one and then swaps them: lookups see
// the old map or the new one, never a mix.
func (r *runtimeAPI) replaceMap(path string, entries map[string]string) error {
	answer, err := r.answer("prepare map " + path)
	if err != nil {
		return err
	}
	_, version, ok := strings.Cut(answer, "New version created:")
	if !ok {
		return fmt.Errorf("prepare map %s answered %q", path, answer)
	}
	version = strings.TrimSpace(version)
	for _, payload := range mapPayloads(entries, maxMapPayload) {
		answer, err := r.sendPayload("add map @"+version+" "+path, payload)
		if err != nil {
			return err
		}
		if answer != "" {
			return fmt.Errorf("add map @%s %s answered %q", version, path, answer)
		}
	}
	return r.raw("commit map @" + version + " " + path)
}

// maxMapPayload bounds the entries sent in one "add map" payload. HAProxy reads a command and its
// payload into one buffer (tune.bufsize, 16 KiB by default) and closes the connection on a
// longer one; half of it leaves room for the command line.
const maxMapPayload = 8 << 10

// mapPayloads are the "<key> <value>" lines of entries, in key order, cut into payloads of at
// most max bytes each (a single longer line gets a payload of its own).
func mapPayloads(entries map[string]string, max int) [][]byte {
	var payloads [][]byte
	var cur []byte
	for _, key := range sortedKeys(entries) {
		line := key + " " + entries[key] + "\n"
		if len(cur) > 0 && len(cur)+len(line) > max {
			payloads = append(payloads, cur)
			cur = nil
		}
		cur = append(cur, line...)
	}
	if len(cur) > 0 {
		payloads = append(payloads, cur)
	}
	return payloads
}

// raw runs a command client-native has no method for.
func (r *runtimeAPI) raw(command string) error {
	_, err := r.answer(command)
	return err
}

// answer runs a command and returns what HAProxy answered. With "set severity-output number"
// (which client-native sends first) an error answer starts with "[0]:" to "[3]:".
func (r *runtimeAPI) answer(command string) (string, error) {
	out, err := r.client.ExecuteRaw(command)
	if err != nil {
		return "", err
	}
	var all strings.Builder
	for _, answer := range out {
		if msg, failed := errorAnswer(answer); failed {
			return "", fmt.Errorf("%s", msg)
		}
		all.WriteString(answer)
	}
	return all.String(), nil
}
