package e2e

// The Helm chart on a real API server: what a cluster admits, and what the chart's RBAC lets the
// controller do. (Its pods do not run here: this control plane has no kubelet for the chart's
// images; chart_test.go runs the controller binary with the chart's ServiceAccount instead.)

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

const (
	// chartRelease is the release name; with it the chart names its objects haproxy-gateway.
	chartRelease = "haproxy-gateway"
	chartAccount = "system:serviceaccount:" + proxyNamespace + ":haproxy-gateway"
)

var (
	gatewayClasses = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	crds           = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// TestChartInstallUpgradeUninstall installs the chart with its defaults on a cluster without the
// Gateway API CRDs, as a first installation does, then upgrades and uninstalls it.
func TestChartInstallUpgradeUninstall(t *testing.T) {
	c := cluster.StartForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	helm := newHelm(t, c.Kubeconfig)
	kube := kubernetes.NewForConfigOrDie(c.RestConfig)
	dyn := dynamic.NewForConfigOrDie(c.RestConfig)

	// Helm creates the CRDs first, then the GatewayClass with the rest.
	helm.run(ctx, "install", chartRelease, helm.chart, "--namespace", proxyNamespace, "--create-namespace")
	class, err := dyn.Resource(gatewayClasses).Get(ctx, "haproxy", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("GatewayClass haproxy after install: %v", err)
	}
	if got, _, _ := unstructuredString(class.Object, "spec", "controllerName"); got != "haproxy-gateway.io/gatewayclass-controller" {
		t.Errorf("GatewayClass controllerName = %q", got)
	}
	deployment, err := kube.AppsV1().Deployments(proxyNamespace).Get(ctx, chartRelease, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Deployment: %v", err)
	}
	if n := len(deployment.Spec.Template.Spec.Containers); n != 2 {
		t.Errorf("Deployment has %d containers, want haproxy and controller", n)
	}
	if _, err := kube.PolicyV1().PodDisruptionBudgets(proxyNamespace).Get(ctx, chartRelease, metav1.GetOptions{}); err != nil {
		t.Errorf("PodDisruptionBudget with 2 replicas: %v", err)
	}

	checkAccess(ctx, t, kube)

	helm.run(ctx, "upgrade", chartRelease, helm.chart, "--namespace", proxyNamespace, "--set", "replicas=3")
	if deployment, err := kube.AppsV1().Deployments(proxyNamespace).Get(ctx, chartRelease, metav1.GetOptions{}); err != nil || *deployment.Spec.Replicas != 3 {
		t.Errorf("Deployment after upgrade to 3 replicas: %v", err)
	}

	// Uninstalling removes the chart's objects but keeps the CRDs, and so every Gateway and route.
	helm.run(ctx, "uninstall", chartRelease, "--namespace", proxyNamespace, "--wait")
	if _, err := dyn.Resource(gatewayClasses).Get(ctx, "haproxy", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("GatewayClass after uninstall: %v, want not found", err)
	}
	for _, name := range []string{"gateways.gateway.networking.k8s.io", "tlsroutes.gateway.networking.k8s.io"} {
		if _, err := dyn.Resource(crds).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("CRD %s after uninstall: %v, want kept", name, err)
		}
	}
}

// checkAccess asks the API server what the controller's ServiceAccount may do: read what it
// watches everywhere, write only status, and write Services, leases and events only in its own
// namespace.
func checkAccess(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	for _, tc := range []struct {
		verb, group, resource, subresource, namespace string
		allowed                                       bool
		name                                          string
	}{
		{"get", "apiextensions.k8s.io", "customresourcedefinitions", "", "", true, "gatewayclasses.gateway.networking.k8s.io"},
		{"get", "apiextensions.k8s.io", "customresourcedefinitions", "", "", false, "tlsroutes.gateway.networking.k8s.io"},
		{"watch", "gateway.networking.k8s.io", "gateways", "", "", true, ""},
		{"list", "gateway.networking.k8s.io", "tlsroutes", "", "", true, ""},
		{"list", "gateway.networking.k8s.io", "httproutes", "", "", true, ""},
		{"list", "gateway.networking.k8s.io", "grpcroutes", "", "", true, ""},
		{"list", "gateway.networking.k8s.io", "referencegrants", "", "", true, ""},
		{"watch", "discovery.k8s.io", "endpointslices", "", "", true, ""},
		{"get", "", "secrets", "", "team-a", true, ""},
		{"list", "", "namespaces", "", "", true, ""},
		{"list", "certificates.k8s.io", "clustertrustbundles", "", "", true, ""},
		{"watch", "certificates.k8s.io", "clustertrustbundles", "", "", true, ""},
		{"update", "gateway.networking.k8s.io", "gateways", "status", "team-a", true, ""},
		{"patch", "gateway.networking.k8s.io", "gatewayclasses", "status", "", true, ""},
		{"update", "gateway.networking.k8s.io", "tlsroutes", "status", "team-a", true, ""},
		{"update", "gateway.networking.k8s.io", "httproutes", "status", "team-a", true, ""},
		{"update", "gateway.networking.k8s.io", "grpcroutes", "status", "team-a", true, ""},
		{"create", "", "services", "", proxyNamespace, true, ""},
		{"delete", "", "services", "", proxyNamespace, true, ""},
		{"update", "coordination.k8s.io", "leases", "", proxyNamespace, true, ""},
		{"create", "", "events", "", proxyNamespace, true, ""},
		// Nothing beyond that.
		{"update", "gateway.networking.k8s.io", "gateways", "", "team-a", false, ""},
		{"delete", "gateway.networking.k8s.io", "gatewayclasses", "", "", false, ""},
		{"update", "", "secrets", "", "team-a", false, ""},
		{"update", "certificates.k8s.io", "clustertrustbundles", "", "", false, ""},
		{"create", "", "services", "", "team-a", false, ""},
		{"create", "coordination.k8s.io", "leases", "", "team-a", false, ""},
		{"create", "", "pods", "", proxyNamespace, false, ""},
	} {
		review, err := kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User: chartAccount,
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Verb: tc.verb, Group: tc.group, Resource: tc.resource, Subresource: tc.subresource, Namespace: tc.namespace, Name: tc.name,
				},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if review.Status.Allowed != tc.allowed {
			t.Errorf("%s %s %s/%s in %q: allowed %v, want %v", chartAccount, tc.verb, tc.group, tc.resource+"/"+tc.subresource, tc.namespace, review.Status.Allowed, tc.allowed)
		}
	}
}

type helmCLI struct {
	t           *testing.T
	binary      string
	chart       string
	kubeconfig  string
	environment []string
}

// newHelm finds the helm binary the repository builds (cached; `make e2e` builds it before it enters
// the network namespace) and gives it its own config and cache folders.
func newHelm(t *testing.T, kubeconfig string) *helmCLI {
	root := repoRoot(t)
	out, err := exec.Command("bash", filepath.Join(root, "deploy", "helm", "build-helm.sh")).Output()
	if err != nil {
		t.Fatalf("deploy/helm/build-helm.sh: %v", err)
	}
	home := t.TempDir()
	return &helmCLI{
		t: t, binary: strings.TrimSpace(string(out)), chart: filepath.Join(root, "deploy", "helm", "haproxy-gateway"),
		kubeconfig: kubeconfig,
		environment: append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
			"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data")),
	}
}

// run runs helm and returns its output; a failure ends the test.
func (h *helmCLI) run(ctx context.Context, args ...string) string {
	h.t.Helper()
	cmd := exec.CommandContext(ctx, h.binary, append(args, "--kubeconfig", h.kubeconfig)...)
	cmd.Env = h.environment
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		h.t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	for _, f := range fields[:len(fields)-1] {
		next, ok := obj[f].(map[string]any)
		if !ok {
			return "", false, nil
		}
		obj = next
	}
	s, ok := obj[fields[len(fields)-1]].(string)
	return s, ok, nil
}
