package haproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Master is HAProxy's master process in master-worker mode, reached through its CLI socket.
// HAProxy 2.6 prints nothing for "reload", so success is read from "show proc": a new worker PID.
type Master struct {
	socket string
	cmd    *exec.Cmd
	exited chan struct{}
	// pid is the master's process ID when this controller owns a master it did not start itself
	// (an earlier controller process did): Stop ends it by PID.
	pid int
	// finishing is set when a reload ended as its new worker answered, before the master did
	// (ReloadServing), until the master answers again.
	finishing atomic.Bool
}

// StartMaster runs "haproxy -W -S <socket> -f <config>" and waits for its first worker. The
// socket file is removed first, so the caller must know that no master answers on it (see
// AdoptMaster): a second master would share the ports through SO_REUSEPORT and serve an old
// configuration beside the new one.
//
// HAProxy gets no parent-death signal: a controller killed without warning leaves its HAProxy
// serving, and the controller that starts next adopts it, with no outage and no reload.
func StartMaster(ctx context.Context, binary, configPath, socket string, output io.Writer) (*Master, error) {
	if answers(socket) {
		return nil, fmt.Errorf("an HAProxy master already answers on %s", socket)
	}
	_ = os.Remove(socket)
	cmd := exec.Command(binary, "-W", "-S", socket+",mode,600", "-f", configPath)
	cmd.Env = Environment()
	cmd.Stdout, cmd.Stderr = output, output
	// Own process group: a Ctrl-C to the controller reaches HAProxy only through Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy: %w", err)
	}
	m := &Master{socket: socket, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if p, err := m.procs(); err == nil && len(p.Current) > 0 {
			return m, nil
		}
		select {
		case <-m.exited:
			return nil, fmt.Errorf("haproxy exited during start: %s", m.cmd.ProcessState)
		case <-ctx.Done():
			m.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("haproxy started no worker within 15s")
		}
	}
}

// AttachMaster uses a master that something else started, for example beside the controller in a
// pod.
func AttachMaster(socket string) *Master { return &Master{socket: socket} }

// AdoptMaster takes over a master that an earlier controller process started on socket and left
// running (it was killed without the chance to stop it): nil when none answers there with a
// worker. Stop ends an adopted master; Exited closes when its process is gone.
func AdoptMaster(socket string) *Master {
	m := &Master{socket: socket}
	p, err := m.procs()
	if err != nil || p.Master == 0 || len(p.Current) == 0 {
		return nil
	}
	m.pid, m.exited = p.Master, make(chan struct{})
	go func() {
		for processAlive(m.pid) {
			time.Sleep(250 * time.Millisecond)
		}
		close(m.exited)
	}()
	return m
}

// answers reports whether some master answers "show proc" on socket.
func answers(socket string) bool {
	out, err := CLICommand(socket, "show proc")
	return err == nil && strings.Contains(out, "master")
}

// processAlive reports whether a process with this PID exists (signal 0 checks without sending).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// WaitReady waits until the master answers and runs a worker.
func (m *Master) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		p, err := m.procs()
		if err == nil && len(p.Current) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no HAProxy master with a worker answered on %s within %s (last error: %v)", m.socket, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Command sends one command to the master CLI and returns its answer.
func (m *Master) Command(command string) (string, error) { return CLICommand(m.socket, command) }

// CLICommand sends one command to an HAProxy CLI socket (the master's or a worker's stats
// socket) and returns its answer.
func CLICommand(socket, command string) (string, error) {
	conn, err := net.DialTimeout("unix", socket, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, command+"\n"); err != nil {
		return "", err
	}
	// Closing our side tells the CLI this was the only command; it answers and closes.
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	return string(out), err
}

// Workers returns the PIDs of current workers and of old workers still draining.
func (m *Master) Workers() (current, old []int, err error) {
	p, err := m.Procs()
	return p.Current, p.Old, err
}

// Procs is what the master says of its processes. Right after a reload the master may not answer
// for a moment (see ReloadServing): Procs waits for it, up to procsWait.
func (m *Master) Procs() (Procs, error) {
	return m.procsAnswering(context.Background(), procsWait)
}

// procsWait bounds how long Procs waits for a master that does not answer.
const procsWait = 10 * time.Second

func (m *Master) procs() (Procs, error) {
	out, err := m.Command("show proc")
	if err != nil {
		return Procs{}, err
	}
	m.finishing.Store(false)
	return ParseProcs(out)
}

// Reload asks the master for new workers on the configuration now on disk and waits until one
// runs. When the new configuration fails to load, the master keeps the old workers serving and
// counts a failed reload; that is an error, and so is timeout spent with the master answering but
// running no new worker. While it loads the configuration the master answers nothing (it
// re-executes itself, parses, forks, and re-executes again to wait): with tens of thousands of
// backends that takes HAProxy tens of seconds, which is not a failure, so silence does not count
// toward timeout. A master silent for reloadSilenceLimit has failed all the same.
func (m *Master) Reload(ctx context.Context, timeout time.Duration) error {
	_, err := m.ReloadServing(ctx, timeout, "")
	return err
}

// ReloadServing is Reload that also asks the workers' stats socket (workerSocket; "" for none)
// which process answers, and returns the workers that run once it is done. The new worker serves
// before its master answers again: after forking it the master releases what only workers need
// and re-executes itself to wait, which with 10,000 backends keeps it silent for most of a second
// more. A process that answers on the stats socket and is not one of the old workers is the new
// worker: the reload is done then.
func (m *Master) ReloadServing(ctx context.Context, timeout time.Duration, workerSocket string) ([]int, error) {
	before, err := m.procs()
	if err != nil && m.finishing.Load() {
		// The last reload ended when its worker answered: the master may be busy with it yet.
		before, err = m.procsAnswering(ctx, reloadSilenceLimit)
	}
	if err != nil {
		return nil, fmt.Errorf("read workers before reload: %w", err)
	}
	if _, err := m.Command("reload"); err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	answers := make(chan procsAnswer)
	go m.watchProcs(watchCtx, answers)
	serving := make(chan int, 1)
	if workerSocket != "" {
		go watchNewWorker(watchCtx, workerSocket, before.Current, serving)
	}
	// heard is when the master last answered, or was asked to reload.
	heard := time.Now()
	deadline := heard.Add(timeout)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.exited:
			// A silent master may also be a dead one; one this process started or adopted says so.
			return nil, errors.New("the HAProxy master exited during a reload")
		case pid := <-serving:
			m.finishing.Store(true)
			return []int{pid}, nil
		case a := <-answers:
			if a.err != nil {
				if silent := time.Since(heard); silent > reloadSilenceLimit {
					return nil, fmt.Errorf("the HAProxy master has not answered for %s during a reload: %w", silent.Round(time.Second), a.err)
				}
				deadline = time.Now().Add(timeout)
				continue
			}
			heard = time.Now()
			for _, pid := range a.procs.Current {
				if !slices.Contains(before.Current, pid) {
					return a.procs.Current, nil
				}
			}
			if a.procs.FailedReloads > before.FailedReloads {
				return nil, fmt.Errorf("HAProxy could not load the configuration (see its log); the previous workers keep serving")
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("no new HAProxy worker within %s: HAProxy could not load the configuration; the previous workers keep serving", timeout)
			}
		}
	}
}

// procsAnswer is one "show proc" asked of the master.
type procsAnswer struct {
	procs Procs
	err   error
}

// watchProcs asks the master "show proc" every reloadPoll until ctx ends.
func (m *Master) watchProcs(ctx context.Context, answers chan<- procsAnswer) {
	for {
		p, err := m.procs()
		select {
		case answers <- procsAnswer{p, err}:
		case <-ctx.Done():
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(reloadPoll):
		}
	}
}

// watchNewWorker asks the stats socket which process answers every reloadPoll, until one that is
// not in old does, and sends its PID. Until the new master has bound the socket the old worker
// answers; after that the new worker, once it runs.
func watchNewWorker(ctx context.Context, socket string, old []int, serving chan<- int) {
	for ctx.Err() == nil {
		if out, err := CLICommand(socket, "show info"); err == nil {
			if pid := InfoPID(out); pid > 0 && !slices.Contains(old, pid) {
				serving <- pid
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(reloadPoll):
		}
	}
}

// procsAnswering is "show proc", waiting out a master that does not answer yet, up to limit. A
// socket that is not there is no master finishing a reload (it keeps its socket while it
// re-executes): that ends the wait at once.
func (m *Master) procsAnswering(ctx context.Context, limit time.Duration) (Procs, error) {
	start := time.Now()
	for {
		p, err := m.procs()
		if err == nil || errors.Is(err, fs.ErrNotExist) || time.Since(start) > limit {
			return p, err
		}
		select {
		case <-ctx.Done():
			return Procs{}, ctx.Err()
		case <-m.exited:
			return Procs{}, errors.New("the HAProxy master exited")
		case <-time.After(reloadPoll):
		}
	}
}

// reloadPoll is how often a reload asks whether its new worker runs.
const reloadPoll = 20 * time.Millisecond

// reloadSilenceLimit bounds how long a reload may keep the master from answering: loading a
// configuration of 50,000 backends kept it silent for about 35 s on two busy cores.
const reloadSilenceLimit = 5 * time.Minute

// Stop ends a master this process started (and with it its workers); an attached one is left
// running.
func (m *Master) Stop() {
	if m.pid != 0 {
		m.stopAdopted()
		return
	}
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// stopAdopted ends an adopted master by its PID: SIGTERM, then SIGKILL after 10s.
func (m *Master) stopAdopted() {
	_ = syscall.Kill(m.pid, syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(m.pid, syscall.SIGKILL)
		<-m.exited
	}
}

// Exited is closed when a master this process started or adopted has ended; nil (never closed)
// for an attached one.
func (m *Master) Exited() <-chan struct{} { return m.exited }

// CheckConfig runs "haproxy -c" on a configuration file. A refusal is a *CheckError carrying
// HAProxy's alerts (not -q: that hides them), with paths relative to the file's folder.
func CheckConfig(ctx context.Context, binary, configPath string) error {
	cmd := exec.CommandContext(ctx, binary, "-c", "-f", configPath)
	cmd.Env = Environment()
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	message := checkMessage(string(out), filepath.Dir(configPath))
	if message == "" {
		// No alert: HAProxy did not run, or died; say how.
		message = err.Error()
	}
	return &CheckError{Message: message}
}
