package cluster

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// TestClusterStartsAndServesGatewayAPI runs the whole control plane once: it is the smoke test that
// the binaries, flags and certificates fit together. Run it inside e2e/netns.sh.
func TestClusterStartsAndServesGatewayAPI(t *testing.T) {
	SkipUnlessRunnable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	began := time.Now()
	c, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(c.Stop)
	t.Logf("control plane ready in %v at %s", time.Since(began).Round(time.Millisecond), c.RestConfig.Host)

	began = time.Now()
	if err := c.InstallGatewayAPICRDs(ctx); err != nil {
		t.Fatalf("install CRDs: %v", err)
	}
	t.Logf("Gateway API CRDs established in %v", time.Since(began).Round(time.Millisecond))
	// A second install (say, by a test that does not know whether one already ran) updates in place.
	if err := c.InstallGatewayAPICRDs(ctx); err != nil {
		t.Fatalf("install CRDs again: %v", err)
	}

	cs := kubernetes.NewForConfigOrDie(c.RestConfig)
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}

	// The controller-manager's serviceaccount controller gives every new namespace a "default" account.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("default ServiceAccount in %s: %v\n%s", ns.Name, err, c.Logs()["kube-controller-manager"])
	}

	svc, err := cs.CoreV1().Services(ns.Name).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	if !strings.HasPrefix(svc.Spec.ClusterIP, "10.96.") {
		t.Errorf("service cluster IP %q, want one in %s", svc.Spec.ClusterIP, ServiceClusterIPRange)
	}

	// A selector-less Service gets its EndpointSlices from whoever manages them; here, the test.
	_, err = cs.DiscoveryV1().EndpointSlices(ns.Name).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "echo-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "e2e"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.244.0.5"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create EndpointSlice: %v", err)
	}

	gw := gatewayclient.NewForConfigOrDie(c.RestConfig)
	classes, err := gw.GatewayV1().GatewayClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list gatewayclasses: %v", err)
	}
	if len(classes.Items) != 0 {
		t.Errorf("fresh cluster has %d GatewayClasses, want 0", len(classes.Items))
	}

	// The kubeconfig must work for kubectl too, which is how people debug a failing e2e run.
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", c.Kubeconfig, "get", "endpointslices", "-n", ns.Name, "-o", "name").CombinedOutput()
		if err != nil || string(out) != "endpointslice.discovery.k8s.io/echo-1\n" {
			t.Errorf("kubectl get endpointslices: %v: %q", err, out)
		}
	}

	c.Stop()
	c.Stop() // idempotent
	if _, err := os.Stat(c.WorkDir); !os.IsNotExist(err) {
		t.Errorf("work dir %s still there after Stop: %v", c.WorkDir, err)
	}
}
