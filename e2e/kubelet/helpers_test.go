package kubelet

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// testEnv is a control plane with a loopback kubelet, inside the test's network namespace.
type testEnv struct {
	cluster *cluster.Cluster
	client  kubernetes.Interface
	kubelet *Kubelet
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, Options{})
}

// newTestEnvWith is newTestEnv with kubelet options; heartbeats and logs are the tests' own.
func newTestEnvWith(t *testing.T, opts Options) *testEnv {
	t.Helper()
	c := cluster.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.HeartbeatInterval, opts.Logf = 2*time.Second, t.Logf
	k, err := Start(ctx, c.RestConfig, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the cluster's, so it runs first: the kubelet stops before the API server.
	t.Cleanup(k.Stop)
	return &testEnv{cluster: c, client: kubernetes.NewForConfigOrDie(c.RestConfig), kubelet: k}
}

// readyPods waits until namespace has want pods matching selector, all Ready, and returns them.
func (e *testEnv) readyPods(t *testing.T, namespace, selector string, want int, timeout time.Duration) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		pods = list.Items
		if len(pods) != want {
			return false, nil
		}
		for _, p := range pods {
			if !podReady(&p) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		for _, p := range pods {
			t.Logf("pod %s: phase %s ip %q conditions %+v", p.Name, p.Status.Phase, p.Status.PodIP, p.Status.Conditions)
		}
		t.Fatalf("%d Ready pods %q in %s: %v", want, selector, namespace, err)
	}
	return pods
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil
		}
	}
	return false
}

// inPodRange checks an address is one the kubelet hands out by default.
func inPodRange(t *testing.T, ip string) {
	t.Helper()
	a, err := netip.ParseAddr(ip)
	if err != nil || !netip.MustParsePrefix(DefaultPodCIDR).Contains(a) {
		t.Errorf("pod IP %q not in %s", ip, DefaultPodCIDR)
	}
}
