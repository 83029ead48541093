package snapshot

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// References are the objects of the dependent kinds (Secrets, Services and their EndpointSlices,
// Namespace labels) that Gateways and routes name. Only those can change a build: a change to any
// other Secret, Service, EndpointSlice or Namespace costs nothing. A reference counts whether or
// not it resolves, so an object created after the route that names it is seen at once.
type References struct {
	// Secrets, Services and ConfigMaps are "namespace/name" keys. ConfigMaps are those that
	// BackendTLSPolicies and Gateways' client certificate validation name for CA certificates.
	Secrets, Services, ConfigMaps map[string]bool
	// ClusterTrustBundles are names (the kind is cluster-scoped) that the same CA certificate
	// references name.
	ClusterTrustBundles map[string]bool
	// NamespaceLabels is set when some listener admits routes by namespace label: then a
	// Namespace's labels are read.
	NamespaceLabels bool
}

// ReferencesOf collects what gateways and routes name.
func ReferencesOf(gateways []gatewayv1.Gateway, tlsRoutes []*gatewayv1.TLSRoute, httpRoutes []*gatewayv1.HTTPRoute, grpcRoutes []*gatewayv1.GRPCRoute,
	policies []gatewayv1.BackendTLSPolicy) References {
	refs := References{Secrets: map[string]bool{}, Services: map[string]bool{}, ConfigMaps: map[string]bool{}, ClusterTrustBundles: map[string]bool{}}
	for i := range policies {
		for _, ref := range policies[i].Spec.Validation.CACertificateRefs {
			switch {
			case isCore(&ref.Group) && ref.Kind == "ConfigMap":
				refs.ConfigMaps[policies[i].Namespace+"/"+string(ref.Name)] = true
			case NamesClusterTrustBundle(ref.Group, ref.Kind):
				refs.ClusterTrustBundles[string(ref.Name)] = true
			}
		}
	}
	for i := range gateways {
		gw := &gateways[i]
		if tls := gw.Spec.TLS; tls != nil && tls.Backend != nil && tls.Backend.ClientCertificateRef != nil {
			ref := tls.Backend.ClientCertificateRef
			if isCore(ref.Group) && (ref.Kind == nil || *ref.Kind == "Secret") {
				refs.Secrets[key(ref.Namespace, gw.Namespace, ref.Name)] = true
			}
		}
		if tls := gw.Spec.TLS; tls != nil && tls.Frontend != nil {
			validations := []*gatewayv1.FrontendTLSValidation{tls.Frontend.Default.Validation}
			for _, p := range tls.Frontend.PerPort {
				validations = append(validations, p.TLS.Validation)
			}
			for _, v := range validations {
				if v == nil {
					continue
				}
				for _, ref := range v.CACertificateRefs {
					switch {
					case isCore(&ref.Group) && ref.Kind == "ConfigMap":
						refs.ConfigMaps[key(ref.Namespace, gw.Namespace, ref.Name)] = true
					case NamesClusterTrustBundle(ref.Group, ref.Kind):
						refs.ClusterTrustBundles[string(ref.Name)] = true
					}
				}
			}
		}
		for _, l := range gw.Spec.Listeners {
			if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil && l.AllowedRoutes.Namespaces.From != nil &&
				*l.AllowedRoutes.Namespaces.From == gatewayv1.NamespacesFromSelector {
				refs.NamespaceLabels = true
			}
			if l.TLS == nil {
				continue
			}
			for _, ref := range l.TLS.CertificateRefs {
				if isCore(ref.Group) && (ref.Kind == nil || *ref.Kind == "Secret") {
					refs.Secrets[key(ref.Namespace, gw.Namespace, ref.Name)] = true
				}
			}
		}
	}
	// Thousands of routes name a few Services: each is keyed once.
	type service struct{ namespace, name string }
	seen := map[service]bool{}
	addBackend := func(namespace string, ref gatewayv1.BackendObjectReference) {
		if !NamesService(ref) {
			return
		}
		if ref.Namespace != nil && *ref.Namespace != "" {
			namespace = string(*ref.Namespace)
		}
		if s := (service{namespace, string(ref.Name)}); !seen[s] {
			seen[s] = true
			refs.Services[s.namespace+"/"+s.name] = true
		}
	}
	for i := range tlsRoutes {
		for _, rule := range tlsRoutes[i].Spec.Rules {
			for _, b := range rule.BackendRefs {
				addBackend(tlsRoutes[i].Namespace, b.BackendObjectReference)
			}
		}
	}
	for i := range httpRoutes {
		for _, rule := range httpRoutes[i].Spec.Rules {
			for _, b := range rule.BackendRefs {
				addBackend(httpRoutes[i].Namespace, b.BackendObjectReference)
			}
		}
	}
	for i := range grpcRoutes {
		for _, rule := range grpcRoutes[i].Spec.Rules {
			for _, b := range rule.BackendRefs {
				addBackend(grpcRoutes[i].Namespace, b.BackendObjectReference)
			}
		}
	}
	return refs
}

// CACertificateKey is where a ConfigMap holds a CA bundle, for BackendTLSPolicies and client
// certificate validation alike.
const CACertificateKey = "ca.crt"

// ClusterTrustBundleKind is the kind of certificates.k8s.io trust bundles a CA certificate
// reference may name.
const ClusterTrustBundleKind = "ClusterTrustBundle"

// NamesClusterTrustBundle reports whether a CA certificate reference names a ClusterTrustBundle.
func NamesClusterTrustBundle(group gatewayv1.Group, kind gatewayv1.Kind) bool {
	return group == certificatesv1.GroupName && kind == ClusterTrustBundleKind
}

// NamesService reports whether a backendRef names a Service (a core group object of kind Service).
func NamesService(ref gatewayv1.BackendObjectReference) bool {
	return isCore(ref.Group) && (ref.Kind == nil || *ref.Kind == "Service")
}

// isCore reports whether a reference's group is the core API group ("" or "core").
func isCore(group *gatewayv1.Group) bool {
	return group == nil || *group == "" || *group == corev1.GroupName || *group == "core"
}

// key is a reference's "namespace/name", its namespace defaulting to the referring object's.
func key(namespace *gatewayv1.Namespace, defaultNamespace string, name gatewayv1.ObjectName) string {
	ns := defaultNamespace
	if namespace != nil && *namespace != "" {
		ns = string(*namespace)
	}
	return ns + "/" + string(name)
}
