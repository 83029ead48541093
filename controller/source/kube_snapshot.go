package source

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// Snapshot lists the Gateway API kinds from the cache (routes from the route stores, already in
// order), then reads of Secrets, Services and EndpointSlices only those the Gateways and routes
// name (see interest), by key and by index: the others cost nothing, however many there are.
//
// The objects are not copied: the snapshot's slices are its own, but every object in them shares
// its maps, slices and pointers with the informers' stores, which never change an object in place
// (a change replaces it). Whoever reads a snapshot must not change its objects; the build's tests
// check that it does not.
func (k *Kube) Snapshot(ctx context.Context) (*snapshot.Snapshot, error) {
	var (
		classes    gatewayv1.GatewayClassList
		gateways   gatewayv1.GatewayList
		grants     gatewayv1.ReferenceGrantList
		namespaces corev1.NamespaceList
		policies   gatewayv1.BackendTLSPolicyList
	)
	for _, list := range []client.ObjectList{&classes, &gateways, &grants, &namespaces, &policies} {
		if err := k.cache.List(ctx, list, shared); err != nil {
			return nil, fmt.Errorf("kube source: list %T: %w", list, err)
		}
	}
	tlsRoutes, httpRoutes, grpcRoutes := k.routes.tls.list(), k.routes.http.list(), k.routes.grpc.list()
	refs := snapshot.ReferencesOf(gateways.Items, tlsRoutes, httpRoutes, grpcRoutes, policies.Items)
	// Before the dependent kinds are listed: see interest.
	k.interest.set(refs)
	snap := &snapshot.Snapshot{
		GatewayClasses:     classes.Items,
		Gateways:           gateways.Items,
		TLSRoutes:          tlsRoutes,
		HTTPRoutes:         httpRoutes,
		GRPCRoutes:         grpcRoutes,
		ReferenceGrants:    grants.Items,
		Namespaces:         namespaces.Items,
		BackendTLSPolicies: policies.Items,
		CRDBundleVersion:   k.bundleVersion(ctx),
	}
	var err error
	if snap.Services, err = k.namedServices(ctx, refs); err != nil {
		return nil, err
	}
	if snap.EndpointSlices, err = k.EndpointSlices(ctx, refs.Services); err != nil {
		return nil, err
	}
	if snap.Secrets, err = getNamed[corev1.Secret](ctx, k.cache, sortedKeys(refs.Secrets)); err != nil {
		return nil, err
	}
	if snap.ConfigMaps, err = getNamed[corev1.ConfigMap](ctx, k.cache, sortedKeys(refs.ConfigMaps)); err != nil {
		return nil, err
	}
	if snap.ClusterTrustBundles, err = k.trustBundles(ctx, refs.ClusterTrustBundles); err != nil {
		return nil, err
	}
	snap.NoClusterTrustBundles = k.trustBundleAPI.unavailable
	snap.Sort()
	return snap, nil
}

// namedServices reads the Services routes name, one by one, and every Service of the
// per-Gateway Services' namespace.
func (k *Kube) namedServices(ctx context.Context, refs snapshot.References) ([]corev1.Service, error) {
	services, err := getNamed[corev1.Service](ctx, k.cache, sortedKeys(refs.Services))
	if err != nil || k.interest.serviceNamespace == "" {
		return services, err
	}
	var inNamespace corev1.ServiceList
	if err := k.cache.List(ctx, &inNamespace, client.InNamespace(k.interest.serviceNamespace), shared); err != nil {
		return nil, fmt.Errorf("kube source: list Services of %s: %w", k.interest.serviceNamespace, err)
	}
	for _, s := range inNamespace.Items {
		if !refs.Services[s.Namespace+"/"+s.Name] {
			services = append(services, s)
		}
	}
	return services, nil
}

// EndpointSlices reads the EndpointSlices of the Services ("namespace/name") through the index,
// sharing them (see Snapshot). It implements KeyedChanges.
func (k *Kube) EndpointSlices(ctx context.Context, services map[string]bool) ([]discoveryv1.EndpointSlice, error) {
	var out []discoveryv1.EndpointSlice
	for _, svc := range sortedKeys(services) {
		slices, err := k.slices.ByIndex(sliceServiceIndex, svc)
		if err != nil {
			return nil, fmt.Errorf("kube source: EndpointSlices of %s: %w", svc, err)
		}
		for _, slice := range slices {
			out = append(out, *slice.(*discoveryv1.EndpointSlice))
		}
	}
	return out, nil
}

// shared reads objects from the cache without copying them (see Snapshot).
var shared = client.UnsafeDisableDeepCopy

// getNamed reads the objects of keys ("namespace/name", "/name" when cluster-scoped) from the cache, sharing them (see
// Snapshot); one that does not exist is left out.
func getNamed[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, c client.Reader, keys []string) ([]T, error) {
	var out []T
	for _, key := range keys {
		namespace, name, _ := strings.Cut(key, "/")
		obj := PT(new(T))
		switch err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj, shared); {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("kube source: get %T %s: %w", obj, key, err)
		default:
			out = append(out, *obj)
		}
	}
	return out, nil
}

func sortedKeys(set map[string]bool) []string { return slices.Sorted(maps.Keys(set)) }

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
