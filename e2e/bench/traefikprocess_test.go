package bench

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// traefikBinaryVariable names the Traefik binary that e2e/bench/traefik/build.sh builds and
// prints; make bench sets it.
const traefikBinaryVariable = "HAPROXY_GATEWAY_TRAEFIK"

// traefikFlags are the flags every Traefik process runs with, apart from the API server's
// endpoint and credentials, the ping entry point's free port and the file provider's file. Where
// Traefik's documentation speaks of speed they follow it; the rest are its defaults said aloud.
var traefikFlags = []string{
	// The default of 2 s holds back a configuration that follows another that soon: it would be
	// measured as convergence time.
	"--providers.providersthrottleduration=0s",
	"--providers.kubernetesgateway=true",
	// Traefik's Gateway status gets the address its entry points listen on.
	"--providers.kubernetesgateway.statusaddress.ip=" + traefikAddress,
	// As our controller does: no client-side rate limit, the API server's flow control applies.
	// The default of 50 requests a second paces the status writes of thousands of routes.
	"--providers.kubernetesgateway.qps=-1",
	// A Gateway listener is served by the entry point whose address ends in the listener's port;
	// the names do not matter.
	"--entrypoints.port443.address=" + traefikAddress + ":443",
	"--entrypoints.port8443.address=" + traefikAddress + ":8443",
	"--entrypoints.port8444.address=" + traefikAddress + ":8444",
	// On the entry point named traefik, which the rig puts on 127.0.0.1.
	"--ping=true",
	"--log.level=INFO",
	// The log goes to a file, where colour codes are noise.
	"--log.nocolor=true",
	"--accesslog=false",
	"--global.checknewversion=false",
	"--global.sendanonymoususage=false",
}

// traefikStopAfter is how long stop waits after SIGTERM before SIGKILL: Traefik gives open
// connections 10 s (its entry points' default grace timeout).
const traefikStopAfter = 20 * time.Second

// traefikProcess is one Traefik serving the Traefik Gateway, against the rig's API server.
type traefikProcess struct {
	Cmd *exec.Cmd
	// PingAddress answers GET /ping once Traefik is up; Started is when it was started.
	PingAddress string
	Started     time.Time
	// LogPath is the file its output goes to.
	LogPath string

	logs *os.File
	// exited is closed when the process has ended.
	exited   chan struct{}
	stopOnce sync.Once
}

// startTraefik starts Traefik for a phase of the run, its output in outDir/traefik-<phase>.log.
// It is stopped at the test's cleanup if not before.
func (r *rig) startTraefik(phase string) *traefikProcess {
	r.t.Helper()
	binary := traefikBinary(r.t)
	files := r.traefikSetUp()
	token := r.traefikToken(files.dir)
	p := &traefikProcess{PingAddress: traefikPingAddress(r.t), LogPath: filepath.Join(r.outDir, "traefik-"+phase+".log"),
		exited: make(chan struct{})}
	var err error
	if p.logs, err = os.Create(p.LogPath); err != nil {
		r.t.Fatal(err)
	}
	args := append([]string{
		"--entrypoints.traefik.address=" + p.PingAddress,
		"--providers.kubernetesgateway.endpoint=" + r.cluster.RestConfig.Host,
		"--providers.kubernetesgateway.token=" + token,
		"--providers.kubernetesgateway.certauthfilepath=" + files.caFile,
		"--providers.file.filename=" + files.dynamicConfig,
	}, traefikFlags...)
	p.Cmd = exec.Command(binary, args...)
	p.Cmd.Dir, p.Cmd.Env = files.dir, traefikEnvironment(r.t, files.dir)
	p.Cmd.Stdout, p.Cmd.Stderr = p.logs, p.logs
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.Started = time.Now()
	if err := p.Cmd.Start(); err != nil {
		p.logs.Close()
		r.t.Fatal(err)
	}
	go func() { _ = p.Cmd.Wait(); close(p.exited) }()
	r.t.Cleanup(p.stop)
	return p
}

// stop ends Traefik by its PID: SIGTERM, then SIGKILL when it has not ended in time. Safe to
// call twice, and after it ended by itself.
func (p *traefikProcess) stop() {
	p.stopOnce.Do(func() {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(traefikStopAfter):
			_ = p.Cmd.Process.Kill()
			<-p.exited
		}
		p.logs.Close()
	})
}

// ping asks Traefik's /ping once.
func (p *traefikProcess) ping() error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + p.PingAddress + "/ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/ping: %s", resp.Status)
	}
	return nil
}

func traefikBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv(traefikBinaryVariable)
	if path == "" {
		t.Fatalf("%s is not set: it names the Traefik binary, as `bash e2e/bench/traefik/build.sh` prints it (make bench sets it)", traefikBinaryVariable)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s: %v", traefikBinaryVariable, err)
	}
	return path
}

// traefikPingAddress is a free port on 127.0.0.1, other than the Gateway's listener ports: Traefik
// would serve a listener on any entry point whose address ends in its port, this one's too.
func traefikPingAddress(t *testing.T) string {
	t.Helper()
	listeners := traefikGateway().Spec.Listeners
	for {
		port := freeport.Get(t)
		if !slices.ContainsFunc(listeners, func(l gatewayv1.Listener) bool { return int(l.Port) == port }) {
			return "127.0.0.1:" + strconv.Itoa(port)
		}
	}
}

// traefikEnvironment is this process's environment without what would take Traefik's
// configuration away from traefikFlags: KUBECONFIG or an in-cluster service address would replace
// the provider's endpoint and token, and a static configuration file found in $HOME/.config,
// $XDG_CONFIG_HOME, /etc/traefik or the working folder (dir) would replace every flag.
func traefikEnvironment(t *testing.T, dir string) []string {
	t.Helper()
	for _, ext := range []string{"toml", "yaml", "yml"} {
		if _, err := os.Stat("/etc/traefik/traefik." + ext); err == nil {
			t.Fatalf("/etc/traefik/traefik.%s would replace Traefik's flags in the benchmark", ext)
		}
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "XDG_CONFIG_HOME", "HOME"}, name)
	})
	return append(env, "HOME="+dir)
}
