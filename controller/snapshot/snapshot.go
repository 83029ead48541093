// Package snapshot holds one consistent, sorted view of every object the build step reads. The
// objects may be shared with a source's store (the Kube source's informers): whoever reads a
// snapshot must not change them.
package snapshot

import (
	"cmp"
	"slices"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Snapshot is every input of one build, each list sorted by namespace and name.
type Snapshot struct {
	GatewayClasses []gatewayv1.GatewayClass
	Gateways       []gatewayv1.Gateway
	// Routes are the most numerous objects: they are held by pointer, the Kube source's shared
	// with its informers, so a snapshot of 10,000 routes is not 10,000 copies of them.
	TLSRoutes       []*gatewayv1.TLSRoute
	HTTPRoutes      []*gatewayv1.HTTPRoute
	GRPCRoutes      []*gatewayv1.GRPCRoute
	Services        []corev1.Service
	EndpointSlices  []discoveryv1.EndpointSlice
	Secrets         []corev1.Secret
	ReferenceGrants []gatewayv1.ReferenceGrant
	Namespaces      []corev1.Namespace
	// BackendTLSPolicies are every BackendTLSPolicy; ConfigMaps and ClusterTrustBundles those their
	// caCertificateRefs, or those of Gateways' client certificate validation, name.
	BackendTLSPolicies  []gatewayv1.BackendTLSPolicy
	ConfigMaps          []corev1.ConfigMap
	ClusterTrustBundles []certificatesv1.ClusterTrustBundle
	// NoClusterTrustBundles, when set, says why no ClusterTrustBundle can be read at all (the API
	// server does not serve the kind, or does not let the controller list it): a reference to one
	// cannot resolve, for that reason rather than because the bundle is missing.
	NoClusterTrustBundles string
	// CRDBundleVersion is the gateway.networking.k8s.io/bundle-version annotation of the installed
	// GatewayClass CRD; empty when unknown (standalone mode).
	CRDBundleVersion string
	// Rejected are the objects the source did not pass on, in file and document order; only the
	// standalone source has any (in a cluster the API server refuses them).
	Rejected []Rejected
}

// Sort orders every list by namespace, then name, so equal input gives an equal build.
func (s *Snapshot) Sort() {
	sortObjects(s.GatewayClasses, func(o *gatewayv1.GatewayClass) metav1.Object { return o })
	sortObjects(s.Gateways, func(o *gatewayv1.Gateway) metav1.Object { return o })
	sortObjects(s.TLSRoutes, func(o **gatewayv1.TLSRoute) metav1.Object { return *o })
	sortObjects(s.HTTPRoutes, func(o **gatewayv1.HTTPRoute) metav1.Object { return *o })
	sortObjects(s.GRPCRoutes, func(o **gatewayv1.GRPCRoute) metav1.Object { return *o })
	sortObjects(s.Services, func(o *corev1.Service) metav1.Object { return o })
	sortObjects(s.EndpointSlices, func(o *discoveryv1.EndpointSlice) metav1.Object { return o })
	sortObjects(s.Secrets, func(o *corev1.Secret) metav1.Object { return o })
	sortObjects(s.ReferenceGrants, func(o *gatewayv1.ReferenceGrant) metav1.Object { return o })
	sortObjects(s.Namespaces, func(o *corev1.Namespace) metav1.Object { return o })
	sortObjects(s.BackendTLSPolicies, func(o *gatewayv1.BackendTLSPolicy) metav1.Object { return o })
	sortObjects(s.ConfigMaps, func(o *corev1.ConfigMap) metav1.Object { return o })
	sortObjects(s.ClusterTrustBundles, func(o *certificatesv1.ClusterTrustBundle) metav1.Object { return o })
}

// sortObjects orders items by namespace, then name. Objects are large structs: sorting them in
// place would copy whole objects on every compare and swap, which dominated rebuilds at 10,000
// routes. Keys are sorted instead, then objects moved once.
func sortObjects[T any](items []T, meta func(*T) metav1.Object) {
	type key struct {
		namespace, name string
		index           int
	}
	keys := make([]key, len(items))
	for i := range items {
		m := meta(&items[i])
		keys[i] = key{m.GetNamespace(), m.GetName(), i}
	}
	compare := func(a, b key) int { return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name)) }
	if slices.IsSortedFunc(keys, compare) {
		return
	}
	slices.SortFunc(keys, compare)
	// Move each object once, following the permutation's cycles, instead of through a second
	// array: no copy of every object twice, no array as large as the list.
	for start := range keys {
		if keys[start].index < 0 {
			continue
		}
		held := items[start]
		at := start
		for {
			from := keys[at].index
			keys[at].index = -1
			if from == start {
				items[at] = held
				break
			}
			items[at] = items[from]
			at = from
		}
	}
}

// DeepCopy returns a snapshot sharing no memory with s.
func (s *Snapshot) DeepCopy() *Snapshot {
	return &Snapshot{
		GatewayClasses:        copyEach(s.GatewayClasses, (*gatewayv1.GatewayClass).DeepCopy),
		Gateways:              copyEach(s.Gateways, (*gatewayv1.Gateway).DeepCopy),
		TLSRoutes:             copyEachOf(s.TLSRoutes, (*gatewayv1.TLSRoute).DeepCopy),
		HTTPRoutes:            copyEachOf(s.HTTPRoutes, (*gatewayv1.HTTPRoute).DeepCopy),
		GRPCRoutes:            copyEachOf(s.GRPCRoutes, (*gatewayv1.GRPCRoute).DeepCopy),
		Services:              copyEach(s.Services, (*corev1.Service).DeepCopy),
		EndpointSlices:        copyEach(s.EndpointSlices, (*discoveryv1.EndpointSlice).DeepCopy),
		Secrets:               copyEach(s.Secrets, (*corev1.Secret).DeepCopy),
		ReferenceGrants:       copyEach(s.ReferenceGrants, (*gatewayv1.ReferenceGrant).DeepCopy),
		Namespaces:            copyEach(s.Namespaces, (*corev1.Namespace).DeepCopy),
		BackendTLSPolicies:    copyEach(s.BackendTLSPolicies, (*gatewayv1.BackendTLSPolicy).DeepCopy),
		ConfigMaps:            copyEach(s.ConfigMaps, (*corev1.ConfigMap).DeepCopy),
		ClusterTrustBundles:   copyEach(s.ClusterTrustBundles, (*certificatesv1.ClusterTrustBundle).DeepCopy),
		NoClusterTrustBundles: s.NoClusterTrustBundles,
		CRDBundleVersion:      s.CRDBundleVersion,
		Rejected:              copyRejected(s.Rejected),
	}
}

func copyEach[T any](items []T, deepCopy func(*T) *T) []T {
	if items == nil {
		return nil
	}
	out := make([]T, len(items))
	for i := range items {
		out[i] = *deepCopy(&items[i])
	}
	return out
}

// copyEachOf is copyEach for a list of pointers.
func copyEachOf[T any](items []*T, deepCopy func(*T) *T) []*T {
	if items == nil {
		return nil
	}
	out := make([]*T, len(items))
	for i, item := range items {
		out[i] = deepCopy(item)
	}
	return out
}
