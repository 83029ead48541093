package bench

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Traefik, the second Gateway API implementation of the run, serves its own GatewayClass and
// Gateway on the same API server, with the same Secrets and Services as ours.
const (
	traefikClassName    = "traefik-bench"
	traefikGatewayName  = "traefik"
	traefikControllerID = "traefik.io/gateway-controller"
	// traefikAddress is where Traefik's entry points listen and what its Gateway's status says:
	// e2e/netns.sh routes 10.251.0.0/16 to the namespace's loopback.
	traefikAddress = "10.251.0.1"
	// traefikIdentity names Traefik's ServiceAccount, ClusterRole and ClusterRoleBinding. They
	// live outside the benchmark's namespace, so nothing that lists or deletes there touches them.
	traefikIdentity  = "traefik-bench"
	traefikNamespace = metav1.NamespaceDefault
)

func traefikGatewayClass() *gatewayv1.GatewayClass {
	return gatewayClassOf(traefikClassName, traefikControllerID)
}

// traefikGateway has the TLS listeners of ours: Passthrough on 443, Terminate with the ECDSA and
// the RSA Secret on 8443 and 8444. It has no HTTP listener, which would need an entry point of
// its own.
func traefikGateway() *gatewayv1.Gateway {
	return gatewayOf(traefikGatewayName, traefikClassName, "passthrough", "terminate-ecdsa", "terminate-rsa")
}

func traefikServiceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: traefikNamespace, Name: traefikIdentity}}
}

// traefikClusterRole has the rules of Traefik v3.7's documented RBAC for its Gateway API provider
// (docs/content/reference/dynamic-configuration/kubernetes-gateway-rbac.yml), less "get pods",
// which it only needs to label OpenTelemetry data and the rig turns no telemetry on.
func traefikClusterRole() *rbacv1.ClusterRole {
	read := []string{"get", "list", "watch"}
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: traefikIdentity},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"services", "secrets", "configmaps"}, Verbs: read},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{gatewayv1.GroupName}, Verbs: read, Resources: []string{
				"gatewayclasses", "gateways", "httproutes", "grpcroutes", "tcproutes", "tlsroutes", "referencegrants", "backendtlspolicies",
			}},
			{APIGroups: []string{gatewayv1.GroupName}, Verbs: []string{"update"}, Resources: []string{
				"gatewayclasses/status", "gateways/status", "httproutes/status", "grpcroutes/status", "tcproutes/status",
				"tlsroutes/status", "referencegrants/status", "backendtlspolicies/status",
			}},
		},
	}
}

func traefikClusterRoleBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: traefikIdentity},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: traefikIdentity},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: traefikNamespace, Name: traefikIdentity}},
	}
}
