package source

import (
	"context"
	"fmt"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const (
	// gatewayClassCRD is the CRD whose bundle-version annotation tells which Gateway API release
	// is installed (GatewayClass reports SupportedVersion from it).
	gatewayClassCRD         = "gatewayclasses.gateway.networking.k8s.io"
	bundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version"
	// crdReadTimeout keeps a slow API server from holding up a rebuild for the sake of one
	// annotation.
	crdReadTimeout = 5 * time.Second
	// bundleVersionReuse is how long a bundle version read is used before it is read again: a
	// CRD upgrade shows in GatewayClass status on the first rebuild after that.
	bundleVersionReuse = 10 * time.Second
)

// Snapshot lists the Gateway API kinds from the cache, then of Secrets, Services and
// EndpointSlices only those the Gateways and routes name (see interest). What the snapshot holds
// is copied, so it shares nothing with the informers' stores; the objects left out are not
// copied at all.
func (k *Kube) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	var (
		classes    gatewayv1.GatewayClassList
		gateways   gatewayv1.GatewayList
		tlsRoutes  gatewayv1.TLSRouteList
		httpRoutes gatewayv1.HTTPRouteList
		grants     gatewayv1.ReferenceGrantList
		namespaces corev1.NamespaceList
	)
	for _, list := range []client.ObjectList{&classes, &gateways, &tlsRoutes, &httpRoutes, &grants, &namespaces} {
		if err := k.cache.List(ctx, list); err != nil {
			return nil, fmt.Errorf("kube source: list %T: %w", list, err)
		}
	}
	refs := snapshot.ReferencesOf(gateways.Items, tlsRoutes.Items, httpRoutes.Items)
	// Before the dependent kinds are listed: see interest.
	k.interest.set(refs)
	snap := &snapshot.Snapshot{
		GatewayClasses:   classes.Items,
		Gateways:         gateways.Items,
		TLSRoutes:        tlsRoutes.Items,
		HTTPRoutes:       httpRoutes.Items,
		ReferenceGrants:  grants.Items,
		Namespaces:       namespaces.Items,
		CRDBundleVersion: k.bundleVersion(ctx),
	}
	var (
		services corev1.ServiceList
		slices   discoveryv1.EndpointSliceList
		secrets  corev1.SecretList
	)
	// Listed without copies; what is named is copied below.
	for _, list := range []client.ObjectList{&services, &slices, &secrets} {
		if err := k.cache.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("kube source: list %T: %w", list, err)
		}
	}
	snap.Services = copyNamed(services.Items, func(s *corev1.Service) bool { return namedService(refs, k.interest.serviceNamespace, s) }, (*corev1.Service).DeepCopy)
	snap.EndpointSlices = copyNamed(slices.Items, func(s *discoveryv1.EndpointSlice) bool { return namedSlice(refs, s) }, (*discoveryv1.EndpointSlice).DeepCopy)
	snap.Secrets = copyNamed(secrets.Items, func(s *corev1.Secret) bool { return refs.Secrets[s.Namespace+"/"+s.Name] }, (*corev1.Secret).DeepCopy)
	snap.Sort()
	return snap, nil
}

// copyNamed copies the items that named keeps.
func copyNamed[T any](items []T, named func(*T) bool, deepCopy func(*T) *T) []T {
	var out []T
	for i := range items {
		if named(&items[i]) {
			out = append(out, *deepCopy(&items[i]))
		}
	}
	return out
}

// bundleVersion reads the annotation live, at most once per bundleVersionReuse: no list/watch
// permission on all CRDs is needed, and a burst of rebuilds does not wait for an API round trip
// each (it was most of a rebuild's time with few routes). Failing leaves it empty, which the
// build reports as an unknown version rather than failing the whole rebuild.
func (k *Kube) bundleVersion(ctx context.Context) string {
	k.mu.Lock()
	if !k.bundleAt.IsZero() && time.Since(k.bundleAt) < bundleVersionReuse {
		defer k.mu.Unlock()
		return k.bundle
	}
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, crdReadTimeout)
	defer cancel()
	crd, err := k.crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, gatewayClassCRD, metav1.GetOptions{})
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		if msg := err.Error(); msg != k.lastCRDErr {
			k.log.WithError(err).Warnf("kube source: cannot read CRD %s; Gateway API bundle version unknown", gatewayClassCRD)
			k.lastCRDErr = msg
		}
		return ""
	}
	k.lastCRDErr = ""
	k.bundle, k.bundleAt = crd.Annotations[bundleVersionAnnotation], time.Now()
	return k.bundle
}
