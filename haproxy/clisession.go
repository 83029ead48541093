package haproxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// A change is often several one-line commands (an endpoint that moves: add server, set it ready,
// drain the old one, shut its sessions, delete it). Each on a connection of its own costs a
// connect, an accept and a round trip through the worker's scheduler; on a busy machine those
// waits are most of the time a change takes. A CLISession sends a run of commands down one
// connection at once, in the CLI's interactive mode, and reads their answers in order.

// pipelineChunk bounds the commands written before their answers are read: HAProxy stops reading
// commands while its answers wait, so an unbounded write could wait on a reader that never starts.
const pipelineChunk = 64

// cliSessionTimeout bounds each chunk of commands, answers included.
const cliSessionTimeout = 30 * time.Second

// prompt ends every answer in interactive mode: HAProxy writes "> " at the start of a line.
var prompt = []byte("\n> ")

// CLISession is one connection to a runtime API socket in interactive mode. The controller opens
// one per change; a benchmark keeps one open to ask the same question many times.
type CLISession struct {
	conn net.Conn
	buf  bytes.Buffer
	// setup is the number of answers to the session's own first commands not read yet.
	setup int
}

// sessionSetup enters interactive mode and numbers severities, so that an error answer starts
// with "[0]:" to "[3]:" (see errorAnswer). It goes out with the first commands, not a round
// trip before them.
var sessionSetup = []string{"prompt", "set severity-output number"}

// OpenCLISession connects to socket and sends sessionSetup.
func OpenCLISession(socket string) (*CLISession, error) {
	conn, err := net.DialTimeout("unix", socket, 2*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(cliSessionTimeout))
	if _, err := conn.Write([]byte(strings.Join(sessionSetup, "\n") + "\n")); err != nil {
		conn.Close()
		return nil, err
	}
	return &CLISession{conn: conn, setup: len(sessionSetup)}, nil
}

// Run sends commands, pipelineChunk at a time, and returns their answers in order, each without
// the newlines around it. A command that fails does not stop those after it in its chunk: the
// caller reads each answer.
func (s *CLISession) Run(commands []string) ([]string, error) {
	answers := make([]string, 0, len(commands))
	for start := 0; start < len(commands); start += pipelineChunk {
		chunk := commands[start:min(start+pipelineChunk, len(commands))]
		var out bytes.Buffer
		for _, c := range chunk {
			out.WriteString(c)
			out.WriteByte('\n')
		}
		_ = s.conn.SetDeadline(time.Now().Add(cliSessionTimeout))
		if _, err := s.conn.Write(out.Bytes()); err != nil {
			return answers, err
		}
		for ; s.setup > 0; s.setup-- {
			a, err := s.answer()
			if err != nil {
				return answers, err
			}
			if msg, failed := errorAnswer(a); failed {
				return answers, fmt.Errorf("runtime API session: %s", msg)
			}
		}
		for range chunk {
			a, err := s.answer()
			if err != nil {
				return answers, err
			}
			answers = append(answers, a)
		}
	}
	return answers, nil
}

// answer reads up to the next prompt. The first answer of a session (to "prompt" itself) is the
// prompt alone.
func (s *CLISession) answer() (string, error) {
	chunk := make([]byte, 4096)
	for {
		if i := bytes.Index(s.buf.Bytes(), prompt); i >= 0 {
			a := string(bytes.Trim(s.buf.Bytes()[:i], "\n"))
			s.buf.Next(i + len(prompt))
			return a, nil
		}
		n, err := s.conn.Read(chunk)
		s.buf.Write(chunk[:n])
		if err == io.EOF && n == 0 {
			return "", fmt.Errorf("the runtime API closed the session after %q", lastBytes(s.buf.Bytes(), 256))
		}
		if err != nil && err != io.EOF {
			return "", err
		}
	}
}

// lastBytes is the end of b, at most n bytes: enough of an answer to tell what went wrong.
func lastBytes(b []byte, n int) []byte {
	return b[max(len(b)-n, 0):]
}

// Close says goodbye and closes the connection.
func (s *CLISession) Close() {
	_, _ = s.conn.Write([]byte("quit\n"))
	s.conn.Close()
}
