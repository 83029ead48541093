package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/controllerbin"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayPool is where the controller takes Gateway addresses from; e2e/netns.sh routes it to
// the namespace's loopback.
const gatewayPool = "10.250.0.0/16"

// rig is a real API server with the Gateway API CRDs; the controller binary is started and
// stopped against it phase by phase.
type rig struct {
	t       *testing.T
	cluster *cluster.Cluster
	client  client.WithWatch
	root    string
	// outDir keeps profiles and the controller's logs of the run.
	outDir string
	// phaseProcs and phaseMetrics are HAProxy's processes and the controller's metrics when
	// the current phase's measurements began.
	phaseProcs   Processes
	phaseMetrics map[string]float64
	// traefik is what Traefik's processes share, once the first one is started.
	traefik *traefikFiles
}

func newRig(t *testing.T) *rig {
	t.Helper()
	c := cluster.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.InstallGatewayAPICRDs(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := *c.RestConfig
	// Creating thousands of routes is the point: no client-side rate limit, the API server's
	// own flow control still applies.
	cfg.QPS, cfg.Burst = -1, 0
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = gatewayv1.Install(scheme)
	cl, err := client.NewWithWatch(&cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	out := filepath.Join(root, "bin", "bench")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, cluster: c, client: cl, root: root, outDir: out}
}

func (r *rig) create(objects ...client.Object) {
	r.t.Helper()
	for _, o := range objects {
		if err := r.client.Create(context.Background(), o); err != nil {
			r.t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

// createConcurrently creates objects with a bounded pool of workers.
func (r *rig) createConcurrently(objects []client.Object, workers int) {
	r.t.Helper()
	work := make(chan client.Object)
	errs := make(chan error, len(objects))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := r.client.Create(ctx, o); err != nil {
					errs <- fmt.Errorf("create %s: %w", o.GetName(), err)
				}
				cancel()
			}
		}()
	}
	for _, o := range objects {
		work <- o
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		r.t.Fatal(err)
	}
}

// deleteTiers deletes every TLSRoute and HTTPRoute labelled with one of tiers, a collection at a
// time per tier and kind, until they are gone. Tens of thousands of routes can take longer than a
// request may, and a collection delete cut short leaves the rest.
func (r *rig) deleteTiers(tiers ...string) {
	r.t.Helper()
	ctx := context.Background()
	kinds := []struct {
		route client.Object
		list  client.ObjectList
	}{{&gatewayv1.TLSRoute{}, &gatewayv1.TLSRouteList{}}, {&gatewayv1.HTTPRoute{}, &gatewayv1.HTTPRouteList{}}}
	r.eventually("routes deleted", 15*time.Minute, func() error {
		for _, tier := range tiers {
			for _, k := range kinds {
				if err := r.client.List(ctx, k.list, client.InNamespace(namespace), client.MatchingLabels{tierLabel: tier}, client.Limit(1)); err != nil {
					return err
				}
				if meta.LenList(k.list) == 0 {
					continue
				}
				// The API server ends a request cut short by its timeout with a timeout status or
				// by resetting the stream: either way the next round deletes the rest.
				if err := r.client.DeleteAllOf(ctx, k.route, client.InNamespace(namespace), client.MatchingLabels{tierLabel: tier}); err != nil {
					return fmt.Errorf("delete %T of tier %s: %w", k.route, tier, err)
				}
				return fmt.Errorf("tier %s still had a %T", tier, k.route)
			}
		}
		return nil
	})
}

// eventually retries check every 50ms until it returns nil or the bound passes.
func (r *rig) eventually(what string, bound time.Duration, check func() error) {
	r.t.Helper()
	deadline := time.Now().Add(bound)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not within %s: %v", what, bound, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gatewayReady returns the Gateway's address once it is Programmed with attached routes on its
// listeners in total.
func (r *rig) gatewayReady(attached int32) (string, error) {
	return r.namedGatewayReady(gatewayName, attached, attached)
}

// namedGatewayReady returns Gateway name's address once it is Programmed with between least and
// most routes attached on its listeners in total.
func (r *rig) namedGatewayReady(name string, least, most int32) (string, error) {
	var gw gatewayv1.Gateway
	if err := r.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &gw); err != nil {
		return "", err
	}
	c := meta.FindStatusCondition(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed))
	if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != gw.Generation {
		return "", fmt.Errorf("gateway not Programmed: %v", c)
	}
	var sum int32
	for _, l := range gw.Status.Listeners {
		sum += l.AttachedRoutes
	}
	if sum < least || sum > most || len(gw.Status.Addresses) != 1 {
		return "", fmt.Errorf("gateway has %d attached routes (want %d to %d), addresses %v", sum, least, most, gw.Status.Addresses)
	}
	return gw.Status.Addresses[0].Value, nil
}

// controllerProcess is bin/haproxy-gateway running against the rig, with its own HAProxy, and
// the file its log goes to.
type controllerProcess struct {
	*controllerbin.Process
	logs *os.File
}

// controllerFlags are the flags every phase runs the controller with, apart from addresses and
// folders: the defaults, but for the log level and a short hard-stop-after.
var controllerFlags = []string{"-log-level", "info", "-hard-stop-after", "5s"}

func (r *rig) startController(phase string) *controllerProcess {
	r.t.Helper()
	logs, err := os.Create(filepath.Join(r.outDir, "controller-"+phase+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	args := append([]string{"-kubeconfig", r.cluster.Kubeconfig, "-address-pool", gatewayPool}, controllerFlags...)
	p := &controllerProcess{logs: logs}
	p.Process = controllerbin.Start(r.t, controllerbin.Options{Root: r.root, Args: args, Logs: logs, Pprof: true, StopAfter: 20 * time.Second})
	r.t.Cleanup(p.stop)
	return p
}

// stop ends the controller by its PID; it stops its HAProxy on the way out. Safe to call twice.
func (p *controllerProcess) stop() {
	p.Stop()
	p.logs.Close()
}

// apiServerCPUProfile fetches a CPU profile of kube-apiserver over seconds into path, through
// its /debug/pprof/ endpoint (on by default, for system:masters).
func (r *rig) apiServerCPUProfile(seconds int, path string) error {
	cfg := rest.CopyConfig(r.cluster.RestConfig)
	cfg.Timeout = time.Duration(seconds+30) * time.Second
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	resp, err := c.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(cfg.Host, "/"), seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("kube-apiserver pprof: %s", resp.Status)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

// profileTop is the top of a CPU profile by cumulative time, and the command that prints it.
func (r *rig) profileTop(binary, path string, options ...string) (top, command string) {
	r.t.Helper()
	if len(options) == 0 {
		options = []string{"-top", "-cum", "-nodecount=40"}
	}
	args := append([]string{"tool", "pprof"}, options...)
	if binary != "" {
		args = append(args, binary)
	}
	out, err := exec.Command("go", append(args, path)...).Output()
	if err != nil {
		r.t.Fatalf("go tool pprof %s: %v", path, err)
	}
	rel := func(p string) string {
		if v, err := filepath.Rel(r.root, p); err == nil {
			return v
		}
		return p
	}
	command = "go tool pprof " + strings.Join(options, " ") + " "
	if binary != "" {
		command += rel(binary) + " "
	}
	return strings.TrimSpace(string(out)), command + rel(path)
}

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}

// cpuSeconds is the CPU time a process has used.
func (r *rig) cpuSeconds(pid string) float64 {
	r.t.Helper()
	v, err := CPUSeconds(pid)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// showProc is the controller's HAProxy processes.
func (r *rig) showProc(p *controllerProcess) Processes {
	r.t.Helper()
	procs, err := ShowProc(p.MasterSocket())
	if err != nil {
		r.t.Fatal(err)
	}
	return procs
}
