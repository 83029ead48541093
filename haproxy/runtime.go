package haproxy

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// runtimeAPI runs ops on the worker's stats socket: one-line commands and the commands that only
// read on a CLISession, the commands that carry a payload one connection each (see sendPayload).
// Every command goes to the socket path, so the client keeps working across reloads.
type runtimeAPI struct {
	socket string
	// shared is the session of the batch under way, nil outside one.
	shared *CLISession
}

func newRuntimeAPI(statsSocket string) *runtimeAPI {
	return &runtimeAPI{socket: statsSocket}
}

// run executes ops in order and stops at the first failure. A run of one-line ops goes down one
// connection at once (see CLISession); of those, the ones after a failure in the same chunk have
// run too, and the caller reloads after any failure, as after a failure anywhere. The others
// (payloads, certificates, CA files) go one at a time, each checked for HAProxy's success answer.
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

// oneLine are the ops whose command is one line that HAProxy answers with a line or none, or
// with an error answer when it fails. They go out as Op.Command writes them.
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
	answers, err := s.Run(commands)
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
// latter. A new one is tried twice.
func (r *runtimeAPI) session() (s *CLISession, done func(), err error) {
	if r.shared != nil {
		return r.shared, func() {}, nil
	}
	if s, err = OpenCLISession(r.socket); err != nil {
		s, err = OpenCLISession(r.socket)
	}
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
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

// pipeline runs one-line ops on one connection.
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
		answers, err := s.Run(commands)
		if err != nil {
			return err
		}
		// busy are the servers whose deletion found a connection still open; failedAfter the ops
		// after the first of them that failed, which may have needed that server gone (freeing a
		// certificate it used, say).
		var busy, failedAfter []int
		for i, answer := range answers {
			msg, failed := errorAnswer(answer)
			switch {
			case !failed, deletedAlready(chunk[i].Kind, msg):
			case chunk[i].Kind == DelServer && strings.Contains(msg, stillConnected):
				busy = append(busy, i)
			case len(busy) > 0:
				failedAfter = append(failedAfter, i)
			default:
				return fmt.Errorf("%s: %s", commands[i], msg)
			}
		}
		if err := deleteBusy(s, commands, busy); err != nil {
			return err
		}
		for _, i := range failedAfter {
			again, err := s.Run(commands[i : i+1])
			if err != nil {
				return err
			}
			if msg, failed := errorAnswer(again[0]); failed {
				return fmt.Errorf("%s: %s", commands[i], msg)
			}
		}
	}
	return nil
}

// deletedAlready tells from an error answer that what a deletion deletes is not there: a
// deletion that waited (see leaving) may have been carried out by a controller process that
// ended before it saved so. ("del ssl ca-file" goes through do, which knows the same.)
func deletedAlready(k OpKind, msg string) bool {
	return k == DelServer && msg == "No such server." || k == DelCert && strings.Contains(msg, "doesn't exist")
}

// stillConnected is HAProxy's refusal to delete a server that holds a connection.
const stillConnected = "still has connections"

// delServerPatience is how long a server whose sessions were shut down may still hold a
// connection before "del server" counts as failed.
const delServerPatience = 500 * time.Millisecond

// deleteBusy asks again, all at once, every millisecond, to delete the servers at busy (indices
// into commands) until delServerPatience has passed: "shutdown sessions server", the op before
// each, ends its connections asynchronously, so a worker may still count one for a moment.
func deleteBusy(s *CLISession, commands []string, busy []int) error {
	deadline := time.Now().Add(delServerPatience)
	for len(busy) > 0 {
		time.Sleep(time.Millisecond)
		again := make([]string, len(busy))
		for k, i := range busy {
			again[k] = commands[i]
		}
		answers, err := s.Run(again)
		if err != nil {
			return err
		}
		var still []int
		for k, answer := range answers {
			msg, failed := errorAnswer(answer)
			if !failed {
				continue
			}
			if !strings.Contains(msg, stillConnected) || time.Now().After(deadline) {
				return fmt.Errorf("%s: %s", again[k], msg)
			}
			still = append(still, busy[k])
		}
		busy = still
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

// do runs an op that is not one line (see oneLine): a payload, a certificate, a CA file, a
// crt-list line added, a map replaced.
func (r *runtimeAPI) do(op Op) error {
	switch op.Kind {
	case NewCert:
		return r.expect("new ssl cert "+op.Cert, "New empty certificate store")
	case SetCert:
		return r.setCert(op.Cert, op.Payload)
	case CommitCert:
		return r.expect("commit ssl cert "+op.Cert, "Success!")
	case NewCAFile:
		return r.newCAFile(op.CAFile)
	case SetCAFile:
		return r.setCAFile(op.CAFile, op.Payload)
	case CommitCAFile:
		return r.commitCAFile(op.CAFile)
	case DelCAFile:
		return r.delCAFile(op.CAFile)
	case AddCrtListEntry:
		// The payload form takes a whole crt-list line: options in brackets, then SNI filters.
		answer, err := r.sendPayload("add ssl crt-list "+op.CrtList, []byte(op.Line))
		if err == nil && !strings.Contains(answer, "Success!") {
			err = fmt.Errorf("HAProxy answered %q", answer)
		}
		return err
	case ReplaceMap:
		return r.replaceMap(op.Map, op.Entries)
	}
	return fmt.Errorf("unknown op")
}

// expect runs a command whose answer, when it works, holds success: the certificate commands
// report failures in words, not always as an error answer.
func (r *runtimeAPI) expect(command, success string) error {
	answer, err := r.answer(command)
	if err == nil && !strings.Contains(answer, success) {
		err = fmt.Errorf("HAProxy answered %q", strings.TrimSpace(answer))
	}
	return err
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

// raw runs a command whose answer only matters when it is an error.
func (r *runtimeAPI) raw(command string) error {
	_, err := r.answer(command)
	return err
}

// answer runs a command and returns what HAProxy answered; an error answer ("[0]:" to "[3]:",
// see sessionSetup) is an error with its message.
func (r *runtimeAPI) answer(command string) (string, error) {
	s, done, err := r.session()
	if err != nil {
		return "", err
	}
	defer done()
	answers, err := s.Run([]string{command})
	if err != nil {
		return "", err
	}
	if msg, failed := errorAnswer(answers[0]); failed {
		return "", errors.New(msg)
	}
	return answers[0], nil
}
