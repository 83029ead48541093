package kubelet

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

const echoImage = "registry.k8s.io/gateway-api/echo-basic:v1.5.1"

// suiteEnv is the environment every backend in the suite's base manifests gets.
var suiteEnv = []corev1.EnvVar{
	{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
	{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
}

// deployment is shaped like the suite's backends: no ports, no args, env from the downward API.
func deployment(name string, replicas int32, env []corev1.EnvVar, volumes []corev1.Volume, mounts []corev1.VolumeMount) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: name, Image: echoImage, Env: append(slices.Clone(suiteEnv), env...), VolumeMounts: mounts}},
					Volumes:    volumes,
				},
			},
		},
	}
}

func TestKubeletRunsEchoBackends(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns, err := e.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "kubelet-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitDefaultServiceAccount(t, e, ns.Name)

	if _, err := e.client.AppsV1().Deployments(ns.Name).Create(ctx, deployment("echo", 2, nil, nil, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CoreV1().Services(ns.Name).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "echo"},
			Ports:    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 8080, TargetPort: intstr.FromInt32(3000)}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The TCP backend mounts a Secret that does not exist yet, as the suite's do until it creates them.
	tcp := deployment("tcp", 1,
		[]corev1.EnvVar{
			{Name: "TLS_SERVER_CERT", Value: "/etc/secret-volume/crt"},
			{Name: "TLS_SERVER_PRIV_KEY", Value: "/etc/secret-volume/key"},
			{Name: "TCP_ECHO_SERVER", Value: "1"},
		},
		[]corev1.Volume{{Name: "secret-volume", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: "tcp-cert",
			Items:      []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}, {Key: "tls.key", Path: "key"}},
		}}}},
		[]corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume"}})
	if _, err := e.client.AppsV1().Deployments(ns.Name).Create(ctx, tcp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	echoPods := e.readyPods(t, ns.Name, "app=echo", 2, time.Minute)
	var ips []string
	for _, p := range echoPods {
		inPodRange(t, p.Status.PodIP)
		if p.Spec.NodeName != "loopback" || p.Status.HostIP != e.kubelet.NodeIP() || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: node %q hostIP %q phase %s", p.Name, p.Spec.NodeName, p.Status.HostIP, p.Status.Phase)
		}
		ips = append(ips, p.Status.PodIP)
		checkHTTPEcho(t, p.Status.PodIP, ns.Name, p.Name)
	}
	if ips[0] == ips[1] {
		t.Errorf("both pods have address %s", ips[0])
	}
	waitEndpoints(t, e, ns.Name, "echo", ips)

	// Without its Secret the TCP pod is bound but not Ready, and serves nothing.
	time.Sleep(2 * time.Second)
	tcpPods, err := e.client.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: "app=tcp"})
	if err != nil || len(tcpPods.Items) != 1 {
		t.Fatalf("tcp pods: %v %v", tcpPods, err)
	}
	if p := tcpPods.Items[0]; podReady(&p) || p.Spec.NodeName == "" || p.Status.Phase != corev1.PodPending {
		t.Errorf("tcp pod without its Secret: ready %t node %q phase %s", podReady(&p), p.Spec.NodeName, p.Status.Phase)
	}

	pair, err := testtls.New("abc.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CoreV1().Secrets(ns.Name).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "tcp-cert"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tcpPod := e.readyPods(t, ns.Name, "app=tcp", 1, 30*time.Second)[0]
	inPodRange(t, tcpPod.Status.PodIP)
	checkTCPEcho(t, tcpPod.Status.PodIP, pair.CertPEM, tcpPod.Name)

	// Deleting the Deployment deletes its pods through the ReplicaSet; the kubelet stops their
	// servers and removes them without a grace period.
	if err := e.client.AppsV1().Deployments(ns.Name).Delete(ctx, "echo", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
		return err == nil && len(list.Items) == 0, err
	})
	if err != nil {
		t.Fatalf("echo pods still there: %v", err)
	}
	for _, ip := range ips {
		if _, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "3000"), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial deleted pod %s:3000: %v, want connection refused", ip, err)
		}
	}
}

func waitDefaultServiceAccount(t *testing.T, e *testEnv, namespace string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := e.client.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("default ServiceAccount in %s: %v", namespace, err)
	}
}

// waitEndpoints waits until the EndpointSlice controller publishes exactly ips as ready endpoints.
func waitEndpoints(t *testing.T, e *testEnv, namespace, service string, ips []string) {
	t.Helper()
	want := slices.Sorted(slices.Values(ips))
	var got []string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + service})
		if err != nil {
			return false, err
		}
		got = nil
		for _, s := range list.Items {
			for _, ep := range s.Endpoints {
				if ptr.Deref(ep.Conditions.Ready, false) {
					got = append(got, ep.Addresses...)
				}
			}
		}
		slices.Sort(got)
		return slices.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("ready endpoints of %s/%s = %v, want %v", namespace, service, got, want)
	}
}

// checkHTTPEcho asks the pod's HTTP port who it is.
func checkHTTPEcho(t *testing.T, ip, namespace, pod string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(ip, "3000") + "/hello")
	if err != nil {
		t.Errorf("GET pod %s: %v", pod, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var echo struct {
		Path, Namespace, Pod string
	}
	if err := json.Unmarshal(body, &echo); err != nil || resp.StatusCode != 200 {
		t.Errorf("pod %s answered %d %q: %v", pod, resp.StatusCode, body, err)
		return
	}
	if echo.Path != "/hello" || echo.Namespace != namespace || echo.Pod != pod {
		t.Errorf("pod %s echoed %+v, want pod %s namespace %s", pod, echo, pod, namespace)
	}
}

// checkTCPEcho talks the TCP echo's line protocol on the plain and TLS ports.
func checkTCPEcho(t *testing.T, ip string, caPEM []byte, pod string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "3000"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if lines := exchange(t, conn, "PING", "IS_TLS"); !slices.Equal(lines, []string{"Gateway API Test TCP Server\n", "PONG\n", "false\n"}) {
		t.Errorf("plain TCP echo: %q", lines)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tconn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort(ip, "8443"), &tls.Config{RootCAs: pool, ServerName: "abc.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer tconn.Close()
	lines := exchange(t, tconn, "IS_TLS", "TEST")
	if len(lines) != 3 || lines[1] != "true\n" {
		t.Fatalf("TLS echo: %q", lines)
	}
	var test struct {
		Pod   string `json:"pod"`
		IsTLS bool   `json:"isTLS"`
		TLS   struct {
			ServerName string `json:"serverName"`
		} `json:"tls"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &test); err != nil || test.Pod != pod || !test.IsTLS || test.TLS.ServerName != "abc.example.com" {
		t.Errorf("TEST over TLS = %q (%v)", lines[2], err)
	}
}

// exchange reads the greeting, then sends each line and reads one answer line for it.
func exchange(t *testing.T, conn net.Conn, send ...string) []string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	var got []string
	for i := 0; i <= len(send); i++ {
		if i > 0 {
			if _, err := io.WriteString(conn, send[i-1]+"\n"); err != nil {
				t.Fatal(err)
			}
		}
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, line)
	}
	return got
}
