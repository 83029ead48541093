package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/controllerbin"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayPool is where the controller takes Gateway addresses from; e2e/netns.sh routes it to
// this namespace's loopback.
const gatewayPool = "10.250.0.0/16"

// env is a real API server with the Gateway API CRDs, and the controller binary running against
// it with its own HAProxy, all inside the test's network namespace.
type env struct {
	t       *testing.T
	cluster *cluster.Cluster
	client  client.Client
	// logs are the last started controller's.
	logs *syncBuffer
	// haproxyRunDir holds the sockets of the last started controller's HAProxy.
	haproxyRunDir string
	// metricsAddress serves the last started controller's Prometheus metrics.
	metricsAddress string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, cluster.Options{})
}

// newEnvWith is newEnv on a control plane started with opts.
func newEnvWith(t *testing.T, opts cluster.Options) *env {
	t.Helper()
	c := cluster.StartForTestWith(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.InstallGatewayAPICRDs(ctx); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(c.RestConfig, client.Options{Scheme: e2eScheme()})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, cluster: c, client: cl, logs: &syncBuffer{}}
}

// startController runs bin/haproxy-gateway against the cluster with Gateway addresses from the
// pool; it is stopped by PID at cleanup.
func (e *env) startController() {
	e.t.Helper()
	e.runController(e.cluster.Kubeconfig, "-address-pool", gatewayPool)
}

// controllerProcess is one bin/haproxy-gateway with its own HAProxy, and its log.
type controllerProcess struct {
	*controllerbin.Process
	logs *syncBuffer
}

// runController runs bin/haproxy-gateway with kubeconfig and args after the common ones (its
// own directories, stats and metrics addresses on free loopback ports unless args set them). It is
// stopped by PID at cleanup, if not before.
func (e *env) runController(kubeconfig string, args ...string) *controllerProcess {
	e.t.Helper()
	return e.runControllerWith(controllerOptions{}, append([]string{"-kubeconfig", kubeconfig}, args...)...)
}

// controllerOptions are what differs between the tests' controllers beyond their flags.
type controllerOptions struct {
	// everyAddress binds the stats page and the controller's metrics on every address, as the
	// Helm chart does, rather than on 127.0.0.1 only; they are still reached on 127.0.0.1.
	everyAddress bool
}

// runControllerWith is runController with options, and without a kubeconfig of its own.
func (e *env) runControllerWith(opts controllerOptions, args ...string) *controllerProcess {
	e.t.Helper()
	c := runControllerProcess(e.t, opts, args...)
	e.logs, e.metricsAddress, e.haproxyRunDir = c.logs, c.MetricsAddress, c.RunDir
	return c
}

// runControllerProcess runs bin/haproxy-gateway with args after the common ones: its own
// directories, stats and metrics on free ports. It needs no API server (for -source=files).
func runControllerProcess(t *testing.T, opts controllerOptions, args ...string) *controllerProcess {
	t.Helper()
	c := &controllerProcess{logs: &syncBuffer{}}
	// Cleanups run last first: the log is printed after the controller stopped.
	t.Cleanup(func() {
		if t.Failed() && c.Process != nil {
			t.Logf("controller %d log:\n%s", c.Cmd.Process.Pid, c.logs.String())
		}
	})
	c.Process = controllerbin.Start(t, controllerbin.Options{Root: repoRoot(t), Args: args, Logs: c.logs, EveryAddress: opts.everyAddress})
	return c
}

// workerPID is the PID of the current HAProxy worker; it changes only when HAProxy reloads.
func (e *env) workerPID() int {
	e.t.Helper()
	current, _, err := haproxy.AttachMaster(filepath.Join(e.haproxyRunDir, "master.sock")).Workers()
	if err != nil || len(current) != 1 {
		e.t.Fatalf("HAProxy workers %v: %v", current, err)
	}
	return current[0]
}

// gatewayAddress waits for a Gateway in "default" to be programmed and returns its address.
func (e *env) gatewayAddress(name string) string {
	e.t.Helper()
	var address string
	e.eventually("Gateway "+name+" programmed with an address", 30*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &gw); err != nil {
			return err
		}
		if err := conditionsTrue(gw.Status.Conditions, gw.Generation, "Programmed"); err != nil {
			return err
		}
		if len(gw.Status.Addresses) != 1 {
			return fmt.Errorf("addresses %v", gw.Status.Addresses)
		}
		address = gw.Status.Addresses[0].Value
		return nil
	})
	return address
}

func (e *env) create(objects ...client.Object) {
	e.t.Helper()
	for _, o := range objects {
		if err := e.client.Create(context.Background(), o); err != nil {
			e.t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

// modify reads obj afresh, applies change and updates it, reading again on a conflict: the
// controller writes the status of Gateways, routes and policies meanwhile.
func (e *env) modify(obj client.Object, change func()) {
	e.t.Helper()
	ctx := context.Background()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := e.client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change()
		return e.client.Update(ctx, obj)
	}); err != nil {
		e.t.Fatalf("update %T %s: %v", obj, obj.GetName(), err)
	}
}

// eventually retries check until it returns nil or the timeout passes.
func (e *env) eventually(what string, timeout time.Duration, check func() error) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func service(namespace, name string, port int32, portName string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: objectMeta(namespace, name),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: portName, Port: port}},
		},
	}
}

// endpointSlice stands in for the EndpointSlice controller: ready endpoints of one Service port.
func endpointSlice(namespace, service, portName string, port int32, addresses ...string) *discoveryv1.EndpointSlice {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  objectMeta(namespace, service+"-e2e"),
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
	}
	slice.Labels = map[string]string{discoveryv1.LabelServiceName: service}
	ready := true
	for _, a := range addresses {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	return slice
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

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}

func objectMeta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name}
}

func e2eScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = gatewayv1.Install(scheme)
	return scheme
}

func bufioReader(raw []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(raw)) }

// metric returns the value of one sample of the controller's metrics, such as
// `haproxy_gateway_runtime_operations_total{operation="add server"}`; 0 when it is absent.
func (e *env) metric(sample string) float64 {
	e.t.Helper()
	value, err := scrape(e.metricsAddress, sample)
	if err != nil {
		e.t.Fatal(err)
	}
	return value
}

// metricSum adds up every sample of a metric, whatever its labels.
func metricSum(t *testing.T, address, name string) float64 {
	t.Helper()
	samples, err := controllerbin.Metrics(address, name)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for sample, v := range samples {
		if sample == name || strings.HasPrefix(sample, name+"{") {
			sum += v
		}
	}
	return sum
}

// scrape reads one sample from the Prometheus metrics at address; 0 when it is absent.
func scrape(address, sample string) (float64, error) {
	samples, err := controllerbin.Metrics(address, sample)
	return samples[sample], err
}
