package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/kubelet"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientset "k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/apis/v1alpha2"
	"sigs.k8s.io/gateway-api/apis/v1alpha3"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"
	"sigs.k8s.io/gateway-api/conformance"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/utils/config"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/gateway-api/pkg/features"
)

// conformanceClass is the GatewayClass the suite runs against.
const conformanceClass = "haproxy-gateway"

// controllerName is the controller binary's default -controller-name.
const controllerName = "haproxy-gateway.io/gatewayclass-controller"

// supportedFeatures are the features haproxy-gateway claims; with the GATEWAY-TLS profile they
// select the tests the suite runs.
var supportedFeatures = []features.FeatureName{
	features.SupportBackendTLSPolicy,
	features.SupportGateway,
	features.SupportGatewayRouteHostnameIntersectionPrecedence,
	features.SupportReferenceGrant,
	features.SupportTLSRoute,
	features.SupportTLSRouteModeTerminate,
	features.SupportTLSRouteModeMixed,
}

// TestConformance runs the Gateway API conformance suite, profile GATEWAY-TLS, against the
// controller binary in a real control plane with the loopback kubelet running the suite's pods,
// and writes the suite's report to HAPROXY_GATEWAY_CONFORMANCE_REPORT. `make conformance` runs it.
func TestConformance(t *testing.T) {
	if os.Getenv("HAPROXY_GATEWAY_CONFORMANCE") == "" {
		t.Skip("the conformance suite runs with `make conformance`")
	}
	e := newEnv(t)
	k, err := kubelet.Start(t.Context(), e.cluster.RestConfig, kubelet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	e.startController()
	e.create(&gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: conformanceClass},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: controllerName},
	})

	clientOptions := client.Options{Scheme: conformanceScheme(t)}
	cl, err := client.New(e.cluster.RestConfig, clientOptions)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := clientset.NewForConfig(e.cluster.RestConfig)
	if err != nil {
		t.Fatal(err)
	}
	report := os.Getenv("HAPROXY_GATEWAY_CONFORMANCE_REPORT")
	if report != "" {
		if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := suite.ConformanceOptions{
		ConfigurableOptions: suite.ConfigurableOptions{
			GatewayClassName:     conformanceClass,
			SupportedFeatures:    supportedFeatures,
			ConformanceProfiles:  []suite.ConformanceProfileName{suite.GatewayTLSConformanceProfileName},
			CleanupBaseResources: true,
			CleanupTestResources: true,
			TimeoutConfig:        config.DefaultTimeoutConfig(),
			ReportOutputPath:     report,
			RunTest:              os.Getenv("HAPROXY_GATEWAY_CONFORMANCE_TEST"),
			Mode:                 "default",
			Implementation: confv1.Implementation{
				Organization: "haproxy-gateway",
				Project:      "haproxy-gateway",
				URL:          "https://github.com/haproxy-gateway/haproxy-gateway",
				Version:      versionOrUnknown(),
				Contact:      []string{"https://github.com/haproxy-gateway/haproxy-gateway/issues"},
			},
		},
		Client:        cl,
		ClientOptions: clientOptions,
		Clientset:     cs,
		RestConfig:    e.cluster.RestConfig,
		ManifestFS:    []fs.FS{&conformance.Manifests},
	}
	conformance.RunConformanceWithOptions(t, opts)
}

// conformanceScheme has every API group the suite's manifests and checks use.
func conformanceScheme(t *testing.T) *runtime.Scheme {
	scheme := e2eScheme()
	for _, install := range []func(*runtime.Scheme) error{v1alpha2.Install, v1alpha3.Install, xv1alpha1.Install, apiextensionsv1.AddToScheme} {
		if err := install(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return scheme
}

func versionOrUnknown() string {
	if v := os.Getenv("HAPROXY_GATEWAY_VERSION"); v != "" {
		return v
	}
	return "unknown"
}
