package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A Gateway's spec.tls.frontend asks the clients of its terminating listeners for certificates:
// perPort settings for the listeners of a port, default for the others. The proxy verifies them
// against the CA bundles of the validation's ConfigMaps and ClusterTrustBundles, on each
// listener's crt-list lines.

// frontendValidation is the validation that applies to a listener, or nil.
func frontendValidation(gw *gatewayv1.Gateway, l *gatewayv1.Listener) *gatewayv1.FrontendTLSValidation {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return nil
	}
	for _, p := range gw.Spec.TLS.Frontend.PerPort {
		if p.Port == l.Port {
			return p.TLS.Validation
		}
	}
	return gw.Spec.TLS.Frontend.Default.Validation
}

// insecureFallback reports whether a validation lets clients in without a valid certificate.
func insecureFallback(v *gatewayv1.FrontendTLSValidation) bool {
	return v != nil && v.Mode == gatewayv1.AllowInsecureFallback
}

// resolveClientValidation sets a terminating listener's client certificate verification. A
// reference that cannot be used leaves the listener unresolved and not served: verifying against
// fewer CAs than asked would refuse clients the owner means to admit, and none at all would admit
// everyone.
func resolveClientValidation(l *listener, in *index) {
	v := frontendValidation(l.gateway, l.spec)
	if v == nil {
		return
	}
	gen := l.gateway.Generation
	var bundle []byte
	var problems []string
	reason := gatewayv1.ListenerReasonInvalidCACertificateRef
	for _, ref := range v.CACertificateRefs {
		if snapshot.NamesClusterTrustBundle(ref.Group, ref.Kind) {
			// Cluster-scoped: no namespace to take it from, and no ReferenceGrant to ask.
			if ref.Namespace != nil && *ref.Namespace != "" {
				problems = append(problems, fmt.Sprintf("caCertificateRef %s/%s: a ClusterTrustBundle is cluster-scoped; namespace must be unset", *ref.Namespace, ref.Name))
				continue
			}
			pem, problem, kindProblem := in.cas.trustBundle(string(ref.Name))
			if problem != "" {
				problems = append(problems, problem)
				if kindProblem {
					reason = gatewayv1.ListenerReasonInvalidCACertificateKind
				}
				continue
			}
			bundle = append(bundle, pem...)
			continue
		}
		namespace := l.gateway.Namespace
		if ref.Namespace != nil && *ref.Namespace != "" {
			namespace = string(*ref.Namespace)
		}
		if !namesConfigMap(ref.Group, ref.Kind) {
			problems = append(problems, unsupportedKind(namespace+"/"+string(ref.Name), ref.Group, ref.Kind))
			reason = gatewayv1.ListenerReasonInvalidCACertificateKind
			continue
		}
		if !permitted(in.grants, reference{fromGroup: gatewayv1.GroupName, fromKind: "Gateway", fromNamespace: l.gateway.Namespace,
			toGroup: "", toKind: "ConfigMap", toNamespace: namespace, toName: string(ref.Name)}) {
			problems = append(problems, fmt.Sprintf("caCertificateRef %s/%s is in another namespace and no ReferenceGrant allows it", namespace, ref.Name))
			reason = gatewayv1.ListenerReasonRefNotPermitted
			continue
		}
		pem, problem := in.cas.configMap(namespace, string(ref.Name))
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		bundle = append(bundle, pem...)
	}
	if len(problems) > 0 {
		if l.resolve.Status == metav1.ConditionTrue {
			l.resolve = condition(string(gatewayv1.ListenerConditionResolvedRefs), false, string(reason), strings.Join(problems, "; "), gen)
		}
		l.resolved = false
		if len(problems) == len(v.CACertificateRefs) {
			l.accepted = false
			l.accept = condition(string(gatewayv1.ListenerConditionAccepted), false, string(gatewayv1.ListenerReasonNoValidCACertificate),
				"no caCertificateRef of spec.tls.frontend can be used", gen)
		}
		return
	}
	sum := sha256.Sum256(bundle)
	l.tlsOptions.ClientVerify, l.tlsOptions.ClientCAFingerprint = model.ClientVerifyRequired, hex.EncodeToString(sum[:])
	if insecureFallback(v) {
		l.tlsOptions.ClientVerify = model.ClientVerifyOptional
	}
	l.clientCAs = bundle
}

// insecureCondition is the Gateway condition that says some terminating listener lets clients in
// without a valid certificate; nil when none does (the condition is then removed).
func insecureCondition(g *gateway) *metav1.Condition {
	for _, l := range g.listeners {
		if l.served() && l.mode() == gatewayv1.TLSModeTerminate && insecureFallback(frontendValidation(g.spec, l.spec)) {
			c := condition(string(gatewayv1.GatewayConditionInsecureFrontendValidationMode), true, string(gatewayv1.GatewayReasonConfigurationChanged),
				fmt.Sprintf("listener %s takes clients without a valid certificate (AllowInsecureFallback)", l.spec.Name), g.spec.Generation)
			return &c
		}
	}
	return nil
}
