package source

import (
	"context"
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// namespaceListed are the kinds a snapshot lists by namespace: the Services of the per-Gateway
// Services' namespace (namedServices). Every other kind is read whole, by key or through an
// index of its own.
var namespaceListed = map[string]bool{"Service": true}

// withoutUnusedIndexes drops the namespace index the cache gives every informer from the kinds
// never listed by namespace: it holds an entry for every object, and nothing reads it. A list
// by namespace of such a kind fails with an error naming the missing index.
func withoutUnusedIndexes(kind string, indexers toolscache.Indexers) toolscache.Indexers {
	if namespaceListed[kind] {
		return indexers
	}
	kept := toolscache.Indexers{}
	for name, index := range indexers {
		if name != toolscache.NamespaceIndex {
			kept[name] = index
		}
	}
	return kept
}

// sliceServiceIndex indexes EndpointSlices by "namespace/service".
const sliceServiceIndex = "haproxy-gateway.service"

// sliceIndex indexes the cache's EndpointSlices by their Service, so that a snapshot reads those
// of the named Services without walking every EndpointSlice of the cluster, and returns the
// informer's store. The index is the informer's own, with one key a slice: the cache's field
// indexes keep two, one for lists in the slice's namespace and one across namespaces.
func sliceIndex(c cache.Cache) (toolscache.Indexer, error) {
	inf, err := c.GetInformer(context.Background(), &discoveryv1.EndpointSlice{})
	if err != nil {
		return nil, fmt.Errorf("kube source: informer for EndpointSlices: %w", err)
	}
	indexed, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return nil, fmt.Errorf("kube source: the EndpointSlice informer (%T) has no store to read", inf)
	}
	if err := inf.AddIndexers(toolscache.Indexers{sliceServiceIndex: serviceOfSlice}); err != nil {
		return nil, fmt.Errorf("kube source: EndpointSlice index: %w", err)
	}
	return indexed.GetIndexer(), nil
}

// serviceOfSlice is the key of an EndpointSlice in sliceServiceIndex; none for a slice of no
// Service.
func serviceOfSlice(obj any) ([]string, error) {
	if svc := sliceService(obj); svc != "" {
		return []string{svc}, nil
	}
	return nil, nil
}
