package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
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

// supportedFeatures are the features haproxy-gateway claims; with the profiles' core features they
// select the tests the suite runs: a test runs when all its features are in the union, whichever
// profile it belongs to.
var supportedFeatures = []features.FeatureName{
	features.SupportBackendTLSPolicy,
	features.SupportClusterTrustBundle,
	features.SupportGRPCRoute,
	features.SupportGRPCRouteNamedRouteRule,
	features.SupportGRPCRouteRequestHeaderModifier,
	features.SupportGateway,
	features.SupportGatewayBackendClientCertificate,
	features.SupportGatewayFrontendClientCertificateValidation,
	features.SupportGatewayFrontendClientCertificateValidationInsecureFallback,
	features.SupportGatewayHTTPListenerIsolation,
	features.SupportGatewayHTTPSListenerDetectMisdirectedRequests,
	features.SupportGatewayPort8080,
	features.SupportGatewayRouteHostnameIntersectionPrecedence,
	features.SupportHTTPRoute,
	features.SupportHTTPRoute303RedirectStatusCode,
	features.SupportHTTPRoute307RedirectStatusCode,
	features.SupportHTTPRoute308RedirectStatusCode,
	features.SupportHTTPRouteBackendProtocolH2C,
	features.SupportHTTPRouteBackendProtocolWebSocket,
	features.SupportHTTPRouteBackendTimeout,
	features.SupportHTTPRouteDestinationPortMatching,
	features.SupportHTTPRouteHostRewrite,
	features.SupportHTTPRouteMethodMatching,
	features.SupportHTTPRouteNamedRouteRule,
	features.SupportHTTPRouteParentRefPort,
	features.SupportHTTPRoutePathRedirect,
	features.SupportHTTPRoutePathRewrite,
	features.SupportHTTPRoutePortRedirect,
	features.SupportHTTPRouteQueryParamMatching,
	features.SupportHTTPRouteRequestTimeout,
	features.SupportHTTPRouteResponseHeaderModification,
	features.SupportHTTPRouteSchemeRedirect,
	features.SupportReferenceGrant,
	features.SupportTLSRoute,
	features.SupportTLSRouteModeMixed,
	features.SupportTLSRouteModeTerminate,
}

// defaultConformanceProfiles are the profiles TestConformance reports on unless
// HAPROXY_GATEWAY_CONFORMANCE_PROFILES names others.
var defaultConformanceProfiles = []suite.ConformanceProfileName{suite.GatewayTLSConformanceProfileName, suite.GatewayHTTPConformanceProfileName,
	suite.GatewayGRPCConformanceProfileName}

// TestConformance runs the Gateway API conformance suite against the controller binary in a real
// control plane with the loopback kubelet running the suite's pods, and writes the suite's report
// to HAPROXY_GATEWAY_CONFORMANCE_REPORT. `make conformance` runs it. The environment chooses:
//   - HAPROXY_GATEWAY_CONFORMANCE_PROFILES: comma-separated profile names (GATEWAY-TLS,
//     GATEWAY-HTTP, GATEWAY-GRPC, ...), GATEWAY-TLS, GATEWAY-HTTP and GATEWAY-GRPC when unset;
//   - HAPROXY_GATEWAY_CONFORMANCE_TEST: one test's short name, to run only that one;
//   - HAPROXY_GATEWAY_CONFORMANCE_DUAL_STACK=1: pods get an IPv6 address too, so that
//     HTTPRouteServiceTypes fills its IPv6 EndpointSlices, as it does on a dual-stack cluster.
func TestConformance(t *testing.T) {
	if os.Getenv("HAPROXY_GATEWAY_CONFORMANCE") == "" {
		t.Skip("the conformance suite runs with `make conformance`")
	}
	profiles, err := conformanceProfiles(os.Getenv("HAPROXY_GATEWAY_CONFORMANCE_PROFILES"))
	if err != nil {
		t.Fatal(err)
	}
	var kubeletOptions kubelet.Options
	if os.Getenv("HAPROXY_GATEWAY_CONFORMANCE_DUAL_STACK") == "1" {
		kubeletOptions.PodCIDRv6 = kubelet.DefaultPodCIDRv6
	}
	e := newEnv(t)
	k, err := kubelet.Start(t.Context(), e.cluster.RestConfig, kubeletOptions)
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
			ConformanceProfiles:  profiles,
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

// conformanceProfiles parses a comma-separated list of profile names; an empty list is the default.
// Names are checked here so that a typo fails before a control plane is started for nothing.
func conformanceProfiles(list string) ([]suite.ConformanceProfileName, error) {
	known := []suite.ConformanceProfileName{
		suite.GatewayHTTPConformanceProfileName, suite.GatewayTLSConformanceProfileName, suite.GatewayGRPCConformanceProfileName,
		suite.GatewayTCPConformanceProfileName, suite.GatewayUDPConformanceProfileName,
		suite.MeshHTTPConformanceProfileName, suite.MeshGRPCConformanceProfileName,
	}
	var profiles []suite.ConformanceProfileName
	for name := range strings.SplitSeq(list, ",") {
		p := suite.ConformanceProfileName(strings.ToUpper(strings.TrimSpace(name)))
		switch {
		case p == "" || slices.Contains(profiles, p):
		case slices.Contains(known, p):
			profiles = append(profiles, p)
		default:
			return nil, fmt.Errorf("HAPROXY_GATEWAY_CONFORMANCE_PROFILES: unknown profile %q (known: %v)", name, known)
		}
	}
	if len(profiles) == 0 {
		return defaultConformanceProfiles, nil
	}
	return profiles, nil
}

// TestSupportedFeaturesAreTheGatewayClasses: the suite is told exactly what GatewayClass status
// claims, so no claim goes untested and no test runs for a feature not claimed.
func TestSupportedFeaturesAreTheGatewayClasses(t *testing.T) {
	var names []string
	for _, f := range supportedFeatures {
		names = append(names, string(f))
	}
	if !slices.Equal(names, translate.SupportedFeatures) {
		t.Errorf("suite features %v\nGatewayClass features %v", names, translate.SupportedFeatures)
	}
}

func TestConformanceProfilesList(t *testing.T) {
	for list, want := range map[string][]suite.ConformanceProfileName{
		"":                                      defaultConformanceProfiles,
		" , ":                                   defaultConformanceProfiles,
		"GATEWAY-HTTP":                          {suite.GatewayHTTPConformanceProfileName},
		"gateway-tls, GATEWAY-HTTP,":            {suite.GatewayTLSConformanceProfileName, suite.GatewayHTTPConformanceProfileName},
		"GATEWAY-GRPC,GATEWAY-GRPC":             {suite.GatewayGRPCConformanceProfileName},
		"GATEWAY-TLS,GATEWAY-HTTP,GATEWAY-GRPC": {suite.GatewayTLSConformanceProfileName, suite.GatewayHTTPConformanceProfileName, suite.GatewayGRPCConformanceProfileName},
	} {
		if got, err := conformanceProfiles(list); err != nil || !slices.Equal(got, want) {
			t.Errorf("conformanceProfiles(%q) = %v, %v; want %v", list, got, err, want)
		}
	}
	if _, err := conformanceProfiles("GATEWAY-HTTPS"); err == nil {
		t.Error("accepted an unknown profile")
	}
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
