package bench

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

// MinimalHAProxy is a separate HAProxy process on a hand-written configuration that terminates
// TLS and forwards to one backend: the least any gateway must do, to compare the generated
// configuration against on the same binary.
type MinimalHAProxy struct {
	cmd *exec.Cmd
}

// MinimalFrontend is one TLS port of the minimal configuration.
type MinimalFrontend struct {
	Name, Bind      string
	CertPEM, KeyPEM []byte
	// Relay puts the hop of the generated layout's ports with mixed modes in front, hand-written:
	// a TCP frontend that waits for the ClientHello and passes the connection over a unix socket
	// with PROXY protocol to the TLS frontend. It tells the cost of that hop.
	Relay bool
	// Splice, when set, makes the frontend a Passthrough one, hand-written: plain TCP to this
	// address, the kernel moving the bytes between the two connections (forced splicing) instead
	// of HAProxy copying them through its buffers.
	Splice string
}

// minimalConfig has the same global TLS and timeout settings as the generated configuration
// and nothing else.
const minimalConfig = `global
    ssl-default-bind-options ssl-min-ver TLSv1.2
    log stderr format short local0 notice

defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
`

// StartMinimalHAProxy writes the configuration and certificates (mode 0600) into dir and runs
// binary in the foreground until Stop.
func StartMinimalHAProxy(binary, dir, backend string, frontends []MinimalFrontend) (*MinimalHAProxy, error) {
	cfg := minimalConfig
	for _, f := range frontends {
		if f.Splice != "" {
			cfg += fmt.Sprintf(`
frontend %[1]s
    bind %[2]s
    option splice-request
    option splice-response
    default_backend %[1]s-backend

backend %[1]s-backend
    server backend %[3]s
`, f.Name, f.Bind, f.Splice)
			continue
		}
		certPath := filepath.Join(dir, f.Name+".pem")
		if err := os.WriteFile(certPath, append(append([]byte{}, f.CertPEM...), f.KeyPEM...), 0o600); err != nil {
			return nil, err
		}
		if !f.Relay {
			cfg += fmt.Sprintf("\nfrontend %s\n    bind %s ssl crt %s\n    default_backend plain\n", f.Name, f.Bind, certPath)
			continue
		}
		socket := filepath.Join(dir, f.Name+".sock")
		cfg += fmt.Sprintf(`
frontend %[1]s
    bind %[2]s
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.ssl_hello_type 1 }
    default_backend %[1]s-relay

backend %[1]s-relay
    server relay %[3]s send-proxy-v2

frontend %[1]s-tls
    bind %[3]s accept-proxy ssl crt %[4]s
    default_backend plain
`, f.Name, f.Bind, socket, certPath)
	}
	cfg += fmt.Sprintf("\nbackend plain\n    server plain %s\n", backend)
	path := filepath.Join(dir, "minimal.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	check := exec.Command(binary, "-c", "-q", "-f", path)
	check.Env = haproxy.Environment()
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c: %v: %s", err, out)
	}
	// The environment the controller gives its HAProxy: the two differ in configuration alone.
	cmd := exec.Command(binary, "-db", "-f", path)
	cmd.Env = haproxy.Environment()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &MinimalHAProxy{cmd: cmd}
	for _, f := range frontends {
		if err := waitListening(f.Bind, 10*time.Second); err != nil {
			h.Stop()
			return nil, err
		}
	}
	return h, nil
}

// PID is the process's id; with -db it is also the one that serves.
func (h *MinimalHAProxy) PID() int { return h.cmd.Process.Pid }

// Stop ends the process by its PID.
func (h *MinimalHAProxy) Stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}

func waitListening(addr string, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
