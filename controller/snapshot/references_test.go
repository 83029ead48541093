package snapshot

import (
	"maps"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestReferencesOf(t *testing.T) {
	group := func(g string) *gatewayv1.Group { v := gatewayv1.Group(g); return &v }
	kind := func(k string) *gatewayv1.Kind { v := gatewayv1.Kind(k); return &v }
	namespace := func(n string) *gatewayv1.Namespace { v := gatewayv1.Namespace(n); return &v }
	selector := gatewayv1.NamespacesFromSelector
	gateways := []gatewayv1.Gateway{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"},
		Spec: gatewayv1.GatewaySpec{Listeners: []gatewayv1.Listener{
			{Name: "a", TLS: &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{
				{Name: "own-namespace"},
				{Name: "other-namespace", Namespace: namespace("certs")},
				{Name: "core-group", Group: group("core"), Kind: kind("Secret")},
				{Name: "not-a-secret", Kind: kind("ConfigMap")},
			}}},
			{Name: "b", AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &selector}}},
		}},
	}}
	routes := []*gatewayv1.TLSRoute{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "r"},
		Spec: gatewayv1.TLSRouteSpec{Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{
			{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app"}},
			{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "shared", Namespace: namespace("platform")}},
			{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "elsewhere", Group: group("example.com"), Kind: kind("Backend")}},
		}}}},
	}}
	httpRoutes := []*gatewayv1.HTTPRoute{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "h"},
		Spec: gatewayv1.HTTPRouteSpec{Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{
			{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "site", Kind: kind("Service")}}},
		}}}},
	}}
	grpcRoutes := []*gatewayv1.GRPCRoute{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "rpc", Name: "g"},
		Spec: gatewayv1.GRPCRouteSpec{Rules: []gatewayv1.GRPCRouteRule{{BackendRefs: []gatewayv1.GRPCBackendRef{
			{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "echo"}}},
		}}}},
	}}
	gateways[0].Spec.TLS = &gatewayv1.GatewayTLSConfig{Frontend: &gatewayv1.FrontendTLSConfig{
		Default: gatewayv1.TLSConfig{Validation: &gatewayv1.FrontendTLSValidation{CACertificateRefs: []gatewayv1.ObjectReference{
			{Kind: "ConfigMap", Name: "client-ca"},
			{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle", Name: "client-roots"},
		}}},
	}}
	policies := []gatewayv1.BackendTLSPolicy{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "p"},
		Spec: gatewayv1.BackendTLSPolicySpec{Validation: gatewayv1.BackendTLSPolicyValidation{CACertificateRefs: []gatewayv1.LocalObjectReference{
			{Kind: "ConfigMap", Name: "backend-ca"},
			{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle", Name: "backend-roots"},
			// The core group has no ClusterTrustBundle: nothing to read.
			{Kind: "ClusterTrustBundle", Name: "core-group"},
		}}},
	}}
	refs := ReferencesOf(gateways, routes, httpRoutes, grpcRoutes, policies)
	if got, want := slices.Sorted(maps.Keys(refs.Secrets)), []string{"certs/other-namespace", "infra/core-group", "infra/own-namespace"}; !slices.Equal(got, want) {
		t.Errorf("Secrets %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(refs.Services)), []string{"platform/shared", "rpc/echo", "team/app", "web/site"}; !slices.Equal(got, want) {
		t.Errorf("Services %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(refs.ConfigMaps)), []string{"infra/client-ca", "team/backend-ca"}; !slices.Equal(got, want) {
		t.Errorf("ConfigMaps %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(refs.ClusterTrustBundles)), []string{"backend-roots", "client-roots"}; !slices.Equal(got, want) {
		t.Errorf("ClusterTrustBundles %v, want %v", got, want)
	}
	if !refs.NamespaceLabels {
		t.Error("a listener admitting routes by namespace selector does not make Namespace labels count")
	}
	if ReferencesOf(nil, routes, nil, nil, nil).NamespaceLabels {
		t.Error("Namespace labels count without any selector")
	}
}
