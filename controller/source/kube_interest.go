package source

import (
	"maps"
	"sync"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A busy cluster changes Secrets, Services, EndpointSlices and Namespaces all the time, and most
// of them are nothing to a Gateway. interest holds what the newest snapshot's Gateways and routes
// name (snapshot.References): a change to anything else signals no rebuild, and Snapshot reads
// only what is named.
//
// Why nothing is missed: Snapshot lists Gateways and routes first, installs their references
// here, and only then reads the dependent kinds. A dependent object's event comes after the cache
// holds its new state, so one filtered out under the older references is in that read anyway;
// after it, events are judged by the new references. A route that names something new is a
// change of its own, which signals.
type interest struct {
	// serviceNamespace holds the per-Gateway Services (service mode): always of interest.
	serviceNamespace string

	mu sync.Mutex
	// refs is nil until the first snapshot: until then everything is of interest.
	refs *snapshot.References
	// causes counts the changes that signalled since the last takeCauses, by kind; ignored those
	// that did not.
	causes  map[string]int
	ignored func(kind string)
	// changed is what changed since the last takeChanged.
	changed Changed
}

func newInterest(serviceNamespace string, ignored func(kind string)) *interest {
	if ignored == nil {
		ignored = func(string) {}
	}
	return &interest{serviceNamespace: serviceNamespace, causes: map[string]int{}, ignored: ignored, changed: newChanged(true)}
}

func (in *interest) set(refs snapshot.References) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.refs = &refs
}

// change judges one event (old is nil unless it is an update) and counts it; false means no
// rebuild can come of it.
func (in *interest) change(old, obj any) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	kind := watchedKind(obj)
	if !in.matters(obj) && (old == nil || !in.matters(old)) {
		in.ignored(kind)
		return false
	}
	in.causes[kind]++
	switch kind {
	case "EndpointSlice":
		for _, o := range []any{old, obj} {
			if svc := sliceService(o); svc != "" {
				in.changed.Endpoints[svc] = true
			}
		}
	case "TLSRoute":
		in.changed.TLSRoutes[objectKey(obj)] = true
	case "HTTPRoute":
		in.changed.HTTPRoutes[objectKey(obj)] = true
	case "GRPCRoute":
		in.changed.GRPCRoutes[objectKey(obj)] = true
	default:
		in.changed.Other = true
	}
	return true
}

func newChanged(other bool) Changed {
	return Changed{Endpoints: map[string]bool{}, TLSRoutes: map[types.NamespacedName]bool{}, HTTPRoutes: map[types.NamespacedName]bool{},
		GRPCRoutes: map[types.NamespacedName]bool{}, Other: other}
}

// objectKey is the namespace and name of an object or of a tombstone's object.
func objectKey(obj any) types.NamespacedName {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if o, ok := obj.(metav1.Object); ok {
		return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
	}
	return types.NamespacedName{}
}

// sliceService is the "namespace/name" of an EndpointSlice's Service; empty for anything else.
func sliceService(obj any) string {
	switch o := obj.(type) {
	case toolscache.DeletedFinalStateUnknown:
		return sliceService(o.Obj)
	case *discoveryv1.EndpointSlice:
		if svc := o.Labels[discoveryv1.LabelServiceName]; svc != "" {
			return o.Namespace + "/" + svc
		}
	}
	return ""
}

// takeChanged returns what changed since the last call, and forgets it.
func (in *interest) takeChanged() Changed {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.changed
	in.changed = newChanged(false)
	return out
}

// matters reports whether obj is of interest; the caller holds mu.
func (in *interest) matters(obj any) bool {
	if in.refs == nil {
		return true
	}
	switch o := obj.(type) {
	case toolscache.DeletedFinalStateUnknown:
		return in.matters(o.Obj)
	case *corev1.Secret:
		return in.refs.Secrets[o.Namespace+"/"+o.Name]
	case *corev1.Service:
		return namedService(*in.refs, in.serviceNamespace, o)
	case *discoveryv1.EndpointSlice:
		return namedSlice(*in.refs, o)
	case *corev1.Namespace:
		return in.refs.NamespaceLabels
	case *corev1.ConfigMap:
		return in.refs.ConfigMaps[o.Namespace+"/"+o.Name]
	case *certificatesv1.ClusterTrustBundle:
		return in.refs.ClusterTrustBundles[o.Name]
	case *certificatesv1beta1.ClusterTrustBundle:
		return in.refs.ClusterTrustBundles[o.Name]
	}
	return true
}

// namedService reports whether a route names the Service, or it is one of the per-Gateway
// Services in serviceNamespace.
func namedService(refs snapshot.References, serviceNamespace string, s *corev1.Service) bool {
	return serviceNamespace != "" && s.Namespace == serviceNamespace || refs.Services[s.Namespace+"/"+s.Name]
}

// namedSlice reports whether the EndpointSlice belongs to a Service a route names.
func namedSlice(refs snapshot.References, s *discoveryv1.EndpointSlice) bool {
	svc := s.Labels[discoveryv1.LabelServiceName]
	return svc != "" && refs.Services[s.Namespace+"/"+svc]
}

// takeCauses returns the kinds of the changes that signalled since the last call, and forgets
// them.
func (in *interest) takeCauses() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	causes := maps.Clone(in.causes)
	clear(in.causes)
	return causes
}

// watchedKind names the kind of a watched object, for metrics.
func watchedKind(obj any) string {
	switch o := obj.(type) {
	case toolscache.DeletedFinalStateUnknown:
		return watchedKind(o.Obj)
	case *gatewayv1.GatewayClass:
		return "GatewayClass"
	case *gatewayv1.Gateway:
		return "Gateway"
	case *gatewayv1.TLSRoute:
		return "TLSRoute"
	case *gatewayv1.HTTPRoute:
		return "HTTPRoute"
	case *gatewayv1.GRPCRoute:
		return "GRPCRoute"
	case *gatewayv1.ReferenceGrant:
		return "ReferenceGrant"
	case *corev1.Service:
		return "Service"
	case *discoveryv1.EndpointSlice:
		return "EndpointSlice"
	case *corev1.Secret:
		return "Secret"
	case *corev1.Namespace:
		return "Namespace"
	case *gatewayv1.BackendTLSPolicy:
		return "BackendTLSPolicy"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *certificatesv1.ClusterTrustBundle, *certificatesv1beta1.ClusterTrustBundle:
		return "ClusterTrustBundle"
	}
	return "other"
}
