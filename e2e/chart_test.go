package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/kubelet"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const (
	// chartDataDir is the emptyDir the chart's two containers share.
	chartDataDir = "/var/lib/haproxy-gateway"
	// chartPodIP is the pod IP the test gives the chart's pod, as the kubelet would: inside the
	// test's network namespace (e2e/netns.sh routes 10.244.0.0/16 to its loopback), away from the
	// loopback kubelet's range and from the endpoints the tests write.
	chartPodIP = "10.244.100.1"
	// chartStatsSecret holds the stats user the chart is installed with.
	chartStatsSecret = "haproxy-gateway-stats"
)

// TestChartRunsWithItsOwnRBAC installs the chart, then runs what its pod runs: HAProxy with the
// haproxy container's command, and the controller binary with the controller container's
// arguments and environment, authenticated as the chart's ServiceAccount, at a pod IP of its
// own. So the chart's RBAC, flags and container layout are what is exercised. The TLS routing
// example must become Accepted, Programmed and routed; the containers' probes must pass at the pod
// IP; the stats page and both /metrics must show its routes and counters, the stats page and
// HAProxy's /metrics only to the stats user of stats.auth.existingSecret.
func TestChartRunsWithItsOwnRBAC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	helm := newHelm(t, e.cluster.Kubeconfig)
	helm.run(ctx, "install", chartRelease, helm.chart, "--namespace", proxyNamespace, "--create-namespace",
		"--set", "gatewayService.type=ClusterIP", "--set", "stats.auth.existingSecret="+chartStatsSecret)
	kube := kubernetes.NewForConfigOrDie(e.cluster.RestConfig)
	deployment, err := kube.AppsV1().Deployments(proxyNamespace).Get(ctx, chartRelease, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A password haproxy.cfg has to quote.
	user, password := "prometheus", `s3cr'et"$HOME#\x`
	if _, err := kube.CoreV1().Secrets(proxyNamespace).Create(ctx, &corev1.Secret{ObjectMeta: objectMeta(proxyNamespace, chartStatsSecret),
		Data: map[string][]byte{"username": []byte(user), "password": []byte(password)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	x := startExample(t)
	e.create(x.objects...)
	e.create(x.endpointSlices()...)

	dataDir := shortTempDir(t)
	startChartHAProxy(t, kube, deployment, dataDir)
	args := chartControllerArgs(t, kube, deployment, dataDir)
	c := e.runController(serviceAccountKubeconfig(t, e, kube, deployment.Spec.Template.Spec.ServiceAccountName), args...)
	if c.StatsAddress != chartPodIP+":8404" || c.MetricsAddress != chartPodIP+":8405" {
		t.Errorf("the chart's controller listens on %s and %s, want the pod IP's ports 8404 and 8405", c.StatsAddress, c.MetricsAddress)
	}

	address := e.waitExampleProgrammed()
	e.eventually("GatewayClass haproxy of the chart Accepted", 30*time.Second, func() error {
		var gc gatewayv1.GatewayClass
		if err := e.client.Get(ctx, client.ObjectKey{Name: "haproxy"}, &gc); err != nil {
			return err
		}
		return conditionsTrue(gc.Status.Conditions, gc.Generation, "Accepted")
	})
	var svc corev1.Service
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: proxyNamespace, Name: translate.ServiceName("default", "example-gateway")}, &svc); err != nil {
		t.Fatalf("the Gateway's Service: %v", err)
	}
	if address != svc.Spec.ClusterIP || svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Gateway address %s, Service %s of type %s with cluster IP %s", address, svc.Name, svc.Spec.Type, svc.Spec.ClusterIP)
	}
	targets := map[int32]string{}
	for _, p := range svc.Spec.Ports {
		targets[p.Port] = strconv.Itoa(int(p.TargetPort.IntVal))
	}
	// No kube-proxy here: traffic goes to the ports HAProxy binds for the Service's ports.
	e.waitExampleRouted(x, "127.0.0.1:"+targets[443], "127.0.0.1:"+targets[8443])

	// A second foo endpoint arrives through the runtime API.
	var slice discoveryv1.EndpointSlice
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "foo-svc-e2e"}, &slice); err != nil {
		t.Fatal(err)
	}
	slice.Endpoints = endpointSlice("default", "foo-svc", "tls", 9443, "10.244.0.10", "10.244.0.11").Endpoints
	if err := e.client.Update(ctx, &slice); err != nil {
		t.Fatal(err)
	}

	checkChartProbes(t, e, deployment)
	// Nothing listens on localhost, and the stats page and HAProxy's /metrics ask for the user.
	for _, port := range []string{"8404", "8405"} {
		if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			conn.Close()
			t.Errorf("something listens on 127.0.0.1:%s", port)
		}
	}
	for _, path := range []string{"/", "/metrics"} {
		for _, as := range [][2]string{{"", ""}, {user, "wrong"}} {
			if code, _, err := getAs("http://"+c.StatsAddress+path, as[0], as[1]); err != nil || code != http.StatusUnauthorized {
				t.Errorf("GET %s as %q: %d, %v; want 401", path, as[0], code, err)
			}
		}
	}
	if info, err := os.Stat(filepath.Join(dataDir, "haproxy.cfg")); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o600 {
		t.Errorf("haproxy.cfg holds the stats password with mode %o, want 0600", info.Mode().Perm())
	}

	// HAProxy's stats page names each route's backend and its servers by Service and address.
	e.eventually("stats page lists foo-route's backend with both servers", 20*time.Second, func() error {
		page, err := getOK("http://"+c.StatsAddress+"/;csv", user, password)
		if err != nil {
			return err
		}
		for _, want := range []string{
			"tlsroute:default:foo-route:rule0,foo-svc:10.244.0.10:9443,",
			"tlsroute:default:foo-route:rule0,foo-svc:10.244.0.11:9443,",
			"tlsroute:default:bar-route:rule0,bar-svc:10.244.0.20:9080,",
		} {
			if !strings.Contains(page, want) {
				return fmt.Errorf("no line starting %q on the stats page", want)
			}
		}
		return nil
	})
	exporter, err := getOK("http://"+c.StatsAddress+"/metrics", user, password)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`haproxy_backend_active_servers{proxy="tlsroute:default:foo-route:rule0"} 2`,
		`haproxy_server_current_sessions{proxy="tlsroute:default:bar-route:rule0",server="bar-svc:10.244.0.20:9080"}`,
	} {
		if !strings.Contains(exporter, want) {
			t.Errorf("HAProxy's /metrics has no %s", want)
		}
	}
	for _, sample := range []string{
		`haproxy_gateway_leader`,
		`haproxy_gateway_reloads_total{reason="first-configuration"}`,
		`haproxy_gateway_runtime_operations_total{operation="add server"}`,
		`haproxy_gateway_change_to_applied_seconds_count`,
		`haproxy_gateway_status_writers`,
	} {
		if v := e.metric(sample); v < 1 {
			t.Errorf("controller metric %s = %v, want at least 1", sample, v)
		}
	}
	for _, name := range []string{"haproxy_gateway_status_writes_total", "rest_client_requests_total"} {
		if v := metricSum(t, c.MetricsAddress, name); v < 1 {
			t.Errorf("controller metric %s = %v, want at least 1", name, v)
		}
	}
	if ready, err := get("http://" + c.MetricsAddress + "/readyz"); err != nil || strings.TrimSpace(ready) != "ok" {
		t.Errorf("/readyz: %q, %v", ready, err)
	}
	if strings.Contains(c.logs.String(), password) {
		t.Error("the controller logged the stats password")
	}
}

// checkChartProbes asks what the kubelet's probes of the chart's containers ask, at the pod IP.
func checkChartProbes(t *testing.T, e *env, d *appsv1.Deployment) {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		for kind, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			switch {
			case p == nil:
			case p.HTTPGet != nil:
				url := "http://" + net.JoinHostPort(chartPodIP, containerPort(t, c, p.HTTPGet.Port)) + p.HTTPGet.Path
				e.eventually(fmt.Sprintf("%s probe of container %s, GET %s", kind, c.Name, url), 20*time.Second, func() error {
					_, err := get(url)
					return err
				})
			case p.TCPSocket != nil:
				address := net.JoinHostPort(chartPodIP, containerPort(t, c, p.TCPSocket.Port))
				e.eventually(fmt.Sprintf("%s probe of container %s, connect to %s", kind, c.Name, address), 20*time.Second, func() error {
					conn, err := net.DialTimeout("tcp", address, time.Second)
					if err == nil {
						conn.Close()
					}
					return err
				})
			default:
				t.Errorf("%s probe of container %s: a kind this test does not run", kind, c.Name)
			}
		}
	}
}

// containerPort resolves a probe's port, a number or the name of one of the container's ports.
func containerPort(t *testing.T, c corev1.Container, port intstr.IntOrString) string {
	t.Helper()
	if port.Type == intstr.Int {
		return strconv.Itoa(port.IntValue())
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	t.Fatalf("container %s has no port %s", c.Name, port.StrVal)
	return ""
}

// chartContainer is the named container of the chart's pod.
func chartContainer(t *testing.T, d *appsv1.Deployment, name string) corev1.Container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("the chart's pod has no %s container", name)
	return corev1.Container{}
}

// chartControllerArgs are the controller container's arguments as the kubelet would pass them to
// the pod at chartPodIP: $(VAR) references expanded from the container's environment (the
// downward API among it), its Secret volumes written under a temporary folder, the shared
// emptyDir at dataDir.
func chartControllerArgs(t *testing.T, kube kubernetes.Interface, d *appsv1.Deployment, dataDir string) []string {
	t.Helper()
	container := chartContainer(t, d, "controller")
	pod := &corev1.Pod{ObjectMeta: objectMeta(proxyNamespace, d.Name+"-e2e"), Spec: *d.Spec.Template.Spec.DeepCopy()}
	env, files, err := kubelet.ResolveContainer(context.Background(), kube, pod, &container, chartPodIP)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	mounts := map[string]string{chartDataDir: dataDir}
	for _, m := range container.VolumeMounts {
		if m.MountPath != chartDataDir {
			mounts[m.MountPath] = filepath.Join(root, m.MountPath)
		}
	}
	for path, content := range files {
		local := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local, content, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for _, arg := range container.Args {
		for name, value := range env {
			arg = strings.ReplaceAll(arg, "$("+name+")", value)
		}
		for mount, local := range mounts {
			arg = strings.ReplaceAll(arg, mount, local)
		}
		out = append(out, arg)
	}
	return out
}

// startChartHAProxy runs the haproxy container's command and environment with the shared emptyDir
// at dataDir; it waits for the controller's first configuration. Stopped by PID at cleanup.
func startChartHAProxy(t *testing.T, kube kubernetes.Interface, d *appsv1.Deployment, dataDir string) {
	t.Helper()
	container := chartContainer(t, d, "haproxy")
	if len(container.Command) == 0 {
		t.Fatal("the chart's haproxy container has no command")
	}
	pod := &corev1.Pod{ObjectMeta: objectMeta(proxyNamespace, d.Name+"-e2e"), Spec: *d.Spec.Template.Spec.DeepCopy()}
	env, _, err := kubelet.ResolveContainer(context.Background(), kube, pod, &container, chartPodIP)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range container.Command {
		args = append(args, strings.ReplaceAll(a, chartDataDir, dataDir))
	}
	logs := &syncBuffer{}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	for name, value := range env {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("haproxy container log:\n%s", logs.String())
		}
	})
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates with a token of the
// ServiceAccount, as the pod's projected token would.
func serviceAccountKubeconfig(t *testing.T, e *env, kube kubernetes.Interface, account string) string {
	t.Helper()
	token, err := kube.CoreV1().ServiceAccounts(proxyNamespace).CreateToken(context.Background(), account,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptrTo(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for ServiceAccount %s: %v", account, err)
	}
	config := clientcmdapi.NewConfig()
	config.Clusters["e2e"] = &clientcmdapi.Cluster{Server: e.cluster.RestConfig.Host, CertificateAuthorityData: e.cluster.RestConfig.CAData}
	config.AuthInfos[account] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	config.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: account}
	config.CurrentContext = "e2e"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// shortTempDir is a temporary directory with a short path: HAProxy's unix sockets live under it,
// and their paths are limited to 107 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hg-pod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func get(url string) (string, error) { return getOK(url, "", "") }

// getOK is the body of a GET answered 200, with basic auth when user is set.
func getOK(url, user, password string) (string, error) {
	code, body, err := getAs(url, user, password)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("GET %s: %d", url, code)
	}
	return body, err
}

// getAs is the status and body of a GET, with basic auth when user is set.
func getAs(url, user, password string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
