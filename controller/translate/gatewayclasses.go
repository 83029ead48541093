package translate

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// SupportedFeatures are the Gateway API feature names (sigs.k8s.io/gateway-api/pkg/features) this
// controller serves, sorted, as GatewayClass status publishes them. Only what is served is claimed
// (a route kind's feature means every core match and filter of that kind), and the conformance
// suite passes every test of each.
var SupportedFeatures = []string{
	"BackendTLSPolicy",
	"ClusterTrustBundle",
	"GRPCRoute",
	"GRPCRouteNamedRouteRule",
	"GRPCRouteRequestHeaderModifier",
	"Gateway",
	"GatewayBackendClientCertificate",
	"GatewayFrontendClientCertificateValidation",
	"GatewayFrontendClientCertificateValidationInsecureFallback",
	"GatewayHTTPListenerIsolation",
	"GatewayHTTPSListenerDetectMisdirectedRequests",
	"GatewayPort8080",
	"GatewayRouteHostnameIntersectionPrecedence",
	"HTTPRoute",
	"HTTPRoute303RedirectStatusCode",
	"HTTPRoute307RedirectStatusCode",
	"HTTPRoute308RedirectStatusCode",
	"HTTPRouteBackendProtocolH2C",
	"HTTPRouteBackendProtocolWebSocket",
	"HTTPRouteBackendTimeout",
	"HTTPRouteDestinationPortMatching",
	"HTTPRouteHostRewrite",
	"HTTPRouteMethodMatching",
	"HTTPRouteNamedRouteRule",
	"HTTPRouteParentRefPort",
	"HTTPRoutePathRedirect",
	"HTTPRoutePathRewrite",
	"HTTPRoutePortRedirect",
	"HTTPRouteQueryParamMatching",
	"HTTPRouteRequestTimeout",
	"HTTPRouteResponseHeaderModification",
	"HTTPRouteSchemeRedirect",
	"ReferenceGrant",
	"TLSRoute",
	"TLSRouteModeMixed",
	"TLSRouteModeTerminate",
}

// SupportedBundleVersion is the Gateway API release whose CRDs this controller is built against.
// Any v1.7 patch release is accepted.
const SupportedBundleVersion = "v1.7.0"

// gatewayClasses returns the status of every class naming this controller and the names of those
// accepted; Gateways of other classes are not ours to touch.
func gatewayClasses(classes []gatewayv1.GatewayClass, opts Options, crdBundleVersion string) ([]model.GatewayClass, map[string]bool) {
	var out []model.GatewayClass
	accepted := map[string]bool{}
	for i := range classes {
		class := &classes[i]
		if string(class.Spec.ControllerName) != opts.ControllerName {
			continue
		}
		gen := class.Generation
		versionOK := crdBundleVersion == "" || sameMinor(crdBundleVersion, SupportedBundleVersion)
		versionCondition := condition(string(gatewayv1.GatewayClassConditionStatusSupportedVersion), true,
			string(gatewayv1.GatewayClassReasonSupportedVersion), "Gateway API CRDs are a supported version", gen)
		acceptedCondition := condition(string(gatewayv1.GatewayClassConditionStatusAccepted), true,
			string(gatewayv1.GatewayClassReasonAccepted), "GatewayClass is accepted", gen)
		switch {
		case !versionOK:
			msg := fmt.Sprintf("installed Gateway API CRDs are %s; this controller supports %s", crdBundleVersion, majorMinor(SupportedBundleVersion))
			versionCondition = condition(string(gatewayv1.GatewayClassConditionStatusSupportedVersion), false,
				string(gatewayv1.GatewayClassReasonUnsupportedVersion), msg, gen)
			acceptedCondition = condition(string(gatewayv1.GatewayClassConditionStatusAccepted), false,
				string(gatewayv1.GatewayClassReasonUnsupportedVersion), msg, gen)
		case class.Spec.ParametersRef != nil:
			acceptedCondition = condition(string(gatewayv1.GatewayClassConditionStatusAccepted), false,
				string(gatewayv1.GatewayClassReasonInvalidParameters), "parametersRef is not supported by this controller", gen)
		default:
			accepted[class.Name] = true
		}
		out = append(out, model.GatewayClass{Name: class.Name, Conditions: []metav1.Condition{acceptedCondition, versionCondition},
			SupportedFeatures: SupportedFeatures})
	}
	return out, accepted
}

func majorMinor(version string) string {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return version
	}
	return "v" + parts[0] + "." + parts[1]
}

func sameMinor(a, b string) bool { return majorMinor(a) == majorMinor(b) }
