package cluster

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process gets to exit after SIGTERM before it is killed. The API server
// drains for a while on SIGTERM by default; tests do not need that, and Stop must stay quick.
const stopGrace = 5 * time.Second

// process is one control-plane binary running as a child of the test.
type process struct {
	name string
	cmd  *exec.Cmd
	tail *tailBuffer
	done chan struct{} // closed when the process has exited and its output is drained
	err  error         // exit status, valid after done is closed
}

// startProcess runs bin with args, sending stdout and stderr to out and to an in-memory tail.
func startProcess(name, bin string, args []string, out io.Writer) (*process, error) {
	p := &process{name: name, tail: &tailBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	w := io.MultiWriter(p.tail, out)
	p.cmd.Stdout, p.cmd.Stderr = w, w
	// If the test binary dies without calling Stop (panic, timeout, SIGKILL), the kernel kills the
	// children too, so no stray etcd keeps a port or a network namespace alive.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process's PID, then SIGKILL after stopGrace, and waits for it to exit.
// Calling it on an exited process is a no-op.
func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// errorf builds an error that carries the last lines the process printed, since the reason a
// control-plane binary failed is almost always only in its own log.
func (p *process) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.exited() {
		status := "exited"
		if p.err != nil {
			status = p.err.Error()
		}
		msg += fmt.Sprintf(" (%s %s)", p.name, status)
	}
	return errors.New(msg + "\n--- last output of " + p.name + " ---\n" + strings.TrimRight(p.tail.String(), "\n"))
}
