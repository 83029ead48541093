package source

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ClusterTrustBundles hold CA certificates that BackendTLSPolicies and Gateways' client certificate
// validation may name. The API is certificates.k8s.io/v1 from Kubernetes 1.37 and v1beta1 before
// (1.33 to 1.36, only with the ClusterTrustBundle feature gate and the v1beta1 runtime-config), so
// many clusters do not serve it at all. The source watches the kind only where the API server
// serves it and lets the controller list it; elsewhere every reference to one says why it cannot
// resolve, and nothing else changes.

// trustBundleResource is the resource name, in either version.
const trustBundleResource = "clustertrustbundles"

// trustBundleVersions are the versions read, preferred first.
var trustBundleVersions = []schema.GroupVersion{certificatesv1.SchemeGroupVersion, certificatesv1beta1.SchemeGroupVersion}

// trustBundleAPI is how ClusterTrustBundles are read: an object of the version served, or why
// none can be read.
type trustBundleAPI struct {
	// obj is a v1 or v1beta1 ClusterTrustBundle; nil when none can be read.
	obj client.Object
	// unavailable says why obj is nil.
	unavailable string
}

// resourceLister is the part of a discovery client findTrustBundleAPI asks.
type resourceLister interface {
	ServerResourcesForGroupVersionWithContext(ctx context.Context, groupVersion string) (*metav1.APIResourceList, error)
}

// findTrustBundleAPI asks discovery for the first version in trustBundleVersions that serves
// ClusterTrustBundles with list and watch, then lists one of them (list) to learn whether the
// controller may: a kind it cannot list would keep its informer failing, and the cache from ever
// syncing. An error is returned only when the API server did not answer the question.
func findTrustBundleAPI(ctx context.Context, discovery resourceLister, list func(context.Context, schema.GroupVersionResource) error) (trustBundleAPI, error) {
	for _, gv := range trustBundleVersions {
		resources, err := discovery.ServerResourcesForGroupVersionWithContext(ctx, gv.String())
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return trustBundleAPI{}, fmt.Errorf("kube source: discover %s: %w", gv, err)
		}
		if !servesListWatch(resources, trustBundleResource) {
			continue
		}
		switch err := list(ctx, gv.WithResource(trustBundleResource)); {
		case apierrors.IsForbidden(err):
			return trustBundleAPI{unavailable: fmt.Sprintf("the controller may not list %s.%s (RBAC needs list and watch)", trustBundleResource, gv.Group)}, nil
		case err != nil:
			return trustBundleAPI{}, fmt.Errorf("kube source: list %s: %w", gv.WithResource(trustBundleResource), err)
		}
		if gv == certificatesv1.SchemeGroupVersion {
			return trustBundleAPI{obj: &certificatesv1.ClusterTrustBundle{}}, nil
		}
		return trustBundleAPI{obj: &certificatesv1beta1.ClusterTrustBundle{}}, nil
	}
	return trustBundleAPI{unavailable: "the API server does not serve them (certificates.k8s.io/v1 from Kubernetes 1.37; " +
		"v1beta1 on 1.33 to 1.36 with feature gate ClusterTrustBundle and runtime-config certificates.k8s.io/v1beta1/clustertrustbundles=true)"}, nil
}

// discoveryTimeout bounds the questions NewKube asks about ClusterTrustBundles.
const discoveryTimeout = 30 * time.Second

// discoverTrustBundles runs findTrustBundleAPI against the API server of cfg.
func discoverTrustBundles(cfg *rest.Config, httpClient *http.Client) (trustBundleAPI, error) {
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return trustBundleAPI{}, fmt.Errorf("kube source: discovery client: %w", err)
	}
	// Metadata only: the probe needs no certificates.
	meta, err := metadata.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return trustBundleAPI{}, fmt.Errorf("kube source: metadata client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoveryTimeout)
	defer cancel()
	return findTrustBundleAPI(ctx, disc, func(ctx context.Context, gvr schema.GroupVersionResource) error {
		_, err := meta.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
}

// servesListWatch reports whether a discovery list has the resource with verbs list and watch.
func servesListWatch(list *metav1.APIResourceList, resource string) bool {
	for _, r := range list.APIResources {
		if r.Name == resource {
			return slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch")
		}
	}
	return false
}

// trustBundleOnly keeps of a ClusterTrustBundle what a build reads, its name and its PEM: labels,
// annotations and the signer name are nothing to a Gateway.
func trustBundleOnly(next toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		switch b := obj.(type) {
		case *certificatesv1.ClusterTrustBundle:
			b.Labels, b.Annotations, b.OwnerReferences, b.Spec.SignerName = nil, nil, nil, ""
		case *certificatesv1beta1.ClusterTrustBundle:
			b.Labels, b.Annotations, b.OwnerReferences, b.Spec.SignerName = nil, nil, nil, ""
		}
		return next(obj)
	}
}

// trustBundleV1 is a v1beta1 ClusterTrustBundle as the v1 type a snapshot holds: both versions
// have the same fields. The metadata is shared, as a snapshot's objects are.
func trustBundleV1(b *certificatesv1beta1.ClusterTrustBundle) certificatesv1.ClusterTrustBundle {
	return certificatesv1.ClusterTrustBundle{
		ObjectMeta: b.ObjectMeta,
		Spec:       certificatesv1.ClusterTrustBundleSpec{SignerName: b.Spec.SignerName, TrustBundle: b.Spec.TrustBundle},
	}
}

// trustBundles reads the named ClusterTrustBundles from the cache, in the version it watches,
// sharing them (see Snapshot); one that does not exist is left out.
func (k *Kube) trustBundles(ctx context.Context, names map[string]bool) ([]certificatesv1.ClusterTrustBundle, error) {
	if k.trustBundleAPI.obj == nil || len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(names))
	for _, name := range sortedKeys(names) {
		keys = append(keys, "/"+name)
	}
	if _, beta := k.trustBundleAPI.obj.(*certificatesv1beta1.ClusterTrustBundle); !beta {
		return getNamed[certificatesv1.ClusterTrustBundle](ctx, k.cache, keys)
	}
	betas, err := getNamed[certificatesv1beta1.ClusterTrustBundle](ctx, k.cache, keys)
	if err != nil {
		return nil, err
	}
	out := make([]certificatesv1.ClusterTrustBundle, len(betas))
	for i := range betas {
		out[i] = trustBundleV1(&betas[i])
	}
	return out, nil
}
