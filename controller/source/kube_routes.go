package source

import (
	"cmp"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeStores keep the routes as the informers deliver them, in the snapshot's order (namespace,
// then name). A snapshot takes them in that order, shared: listing thousands of routes through the
// cache copies each one by reflection and then needs a sort, on every pass.
//
// The event handler updates them before it signals, so a pass that a route change starts sees
// it; a pass that runs before the handler only misses what the handler's signal then brings.
type routeStores struct {
	tls  routeStore[gatewayv1.TLSRoute, *gatewayv1.TLSRoute]
	http routeStore[gatewayv1.HTTPRoute, *gatewayv1.HTTPRoute]
	grpc routeStore[gatewayv1.GRPCRoute, *gatewayv1.GRPCRoute]
}

// observe records a route's new state, or its deletion; other kinds are left alone.
func (s *routeStores) observe(obj any, deleted bool) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = tombstone.Obj, true
	}
	switch o := obj.(type) {
	case *gatewayv1.TLSRoute:
		s.tls.observe(o, deleted)
	case *gatewayv1.HTTPRoute:
		s.http.observe(o, deleted)
	case *gatewayv1.GRPCRoute:
		s.grpc.observe(o, deleted)
	}
}

// routeStore holds the objects of one kind, shared with the informer's store (never changed).
type routeStore[T any, PT interface {
	*T
	client.Object
}] struct {
	mu    sync.Mutex
	keys  []storeKey
	items []PT
}

type storeKey struct{ namespace, name string }

func compareStoreKeys(a, b storeKey) int {
	return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
}

func (s *routeStore[T, PT]) observe(o PT, deleted bool) {
	key := storeKey{o.GetNamespace(), o.GetName()}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, found := slices.BinarySearchFunc(s.keys, key, compareStoreKeys)
	switch {
	case deleted && found:
		s.keys, s.items = slices.Delete(s.keys, i, i+1), slices.Delete(s.items, i, i+1)
	case deleted:
	case found:
		s.items[i] = o
	default:
		s.keys, s.items = slices.Insert(s.keys, i, key), slices.Insert(s.items, i, o)
	}
}

// list returns the objects in order, shared with the informer's store (see Snapshot).
func (s *routeStore[T, PT]) list() []PT {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.items)
}

// get returns the objects of keys; one the store does not hold is nil.
func (s *routeStore[T, PT]) get(keys map[types.NamespacedName]bool) map[types.NamespacedName]PT {
	out := make(map[types.NamespacedName]PT, len(keys))
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range keys {
		out[key] = nil
		if i, found := slices.BinarySearchFunc(s.keys, storeKey{key.Namespace, key.Name}, compareStoreKeys); found {
			out[key] = s.items[i]
		}
	}
	return out
}
