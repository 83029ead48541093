package source

import (
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Most of a cached route is the same few values over and over: its namespace, the Gateway its
// parentRefs name (group, kind, namespace, section, each a pointer of its own), the Services its
// backendRefs name, and in its status our controller name and the same conditions on every
// route; routes whose status was written in the same second have equal statuses. Decoded, each
// route holds its own copy of every one. With 10,000 routes that is about a third of what the
// cache holds for them, and as many small objects again for the garbage collector to walk.
// sharedValues makes routes share one copy of each value and of each whole status,
// EndpointSlices their namespace, port names and protocols and endpoint conditions, and Secrets
// their namespace and type.
//
// A shared value is safe because the cache's objects are never changed in place: readers get
// deep copies, except the snapshot and the status writer's comparison, which only read.

// maxShared bounds each table: values are picked by the objects, so a table that reaches it starts
// again empty rather than grow without end. Routes transformed since share nothing with those
// before, which costs memory, never correctness.
const maxShared = 4096

// sharedValues is the tables of values routes share, one per type, behind one lock: informers of
// different kinds transform at once.
type sharedValues struct {
	mu          sync.Mutex
	strings     stringTable
	groups      table[gatewayv1.Group]
	kinds       table[gatewayv1.Kind]
	namespaces  table[gatewayv1.Namespace]
	sections    table[gatewayv1.SectionName]
	pathTypes   table[gatewayv1.PathMatchType]
	pathValues  table[string]
	methods     table[gatewayv1.HTTPMethod]
	grpcMatches table[gatewayv1.GRPCMethodMatchType]
	portNames   table[string]
	protocols   table[corev1.Protocol]
	flags       table[bool]
	// parents are whole route statuses: routes written in the same second with the same verdict
	// have equal ones.
	parents sliceTable[gatewayv1.RouteParentStatus]
}

// table maps a value to its shared copy.
type table[T comparable] map[T]*T

// of returns the shared copy of *v, which becomes that copy when there is none yet; nil for nil.
func (t *table[T]) of(v *T) *T {
	if v == nil {
		return nil
	}
	if shared, ok := (*t)[*v]; ok {
		return shared
	}
	if *t == nil || len(*t) >= maxShared {
		*t = table[T]{}
	}
	(*t)[*v] = v
	return v
}

// stringTable maps a string to its shared copy.
type stringTable map[string]string

// of returns the shared copy of v, which becomes that copy when there is none yet.
func (t *stringTable) of(v string) string {
	if shared, ok := (*t)[v]; ok {
		return shared
	}
	if *t == nil || len(*t) >= maxShared {
		*t = stringTable{}
	}
	(*t)[v] = v
	return v
}

func (s *sharedValues) str(v string) string { return s.strings.of(v) }

// sliceTable maps a key that spells a slice's content to the slice's shared copy.
type sliceTable[T any] map[string][]T

// of returns the shared copy of v, spelt key, which becomes that copy when there is none yet.
func (t *sliceTable[T]) of(key string, v []T) []T {
	if shared, ok := (*t)[key]; ok {
		return shared
	}
	if *t == nil || len(*t) >= maxShared {
		*t = sliceTable[T]{}
	}
	(*t)[key] = v
	return v
}

// sharing is a cache transform: it makes routes, EndpointSlices and Secrets share their repeated
// values (see sharedValues), then calls next.
func (s *sharedValues) sharing(next toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		s.share(obj)
		return next(obj)
	}
}

// share replaces the repeated values of a route, EndpointSlice or Secret with their shared copies;
// other objects are left alone.
func (s *sharedValues) share(obj any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r := obj.(type) {
	case *gatewayv1.TLSRoute:
		s.common(&r.ObjectMeta, &r.Spec.CommonRouteSpec, &r.Status.RouteStatus)
		for _, rule := range r.Spec.Rules {
			for j := range rule.BackendRefs {
				s.backendRef(&rule.BackendRefs[j].BackendObjectReference)
			}
		}
	case *gatewayv1.HTTPRoute:
		s.common(&r.ObjectMeta, &r.Spec.CommonRouteSpec, &r.Status.RouteStatus)
		for _, rule := range r.Spec.Rules {
			for j := range rule.Matches {
				m := &rule.Matches[j]
				if m.Path != nil {
					m.Path.Type, m.Path.Value = s.pathTypes.of(m.Path.Type), s.pathValues.of(m.Path.Value)
				}
				m.Method = s.methods.of(m.Method)
			}
			for j := range rule.BackendRefs {
				s.backendRef(&rule.BackendRefs[j].BackendObjectReference)
			}
		}
	case *gatewayv1.GRPCRoute:
		s.common(&r.ObjectMeta, &r.Spec.CommonRouteSpec, &r.Status.RouteStatus)
		for _, rule := range r.Spec.Rules {
			for _, m := range rule.Matches {
				if m.Method != nil {
					m.Method.Type = s.grpcMatches.of(m.Method.Type)
				}
			}
			for j := range rule.BackendRefs {
				s.backendRef(&rule.BackendRefs[j].BackendObjectReference)
			}
		}
	case *corev1.Secret:
		r.Namespace, r.Type = s.str(r.Namespace), corev1.SecretType(s.str(string(r.Type)))
	case *discoveryv1.EndpointSlice:
		r.Namespace = s.str(r.Namespace)
		for i := range r.Ports {
			p := &r.Ports[i]
			p.Name, p.Protocol, p.AppProtocol = s.portNames.of(p.Name), s.protocols.of(p.Protocol), s.portNames.of(p.AppProtocol)
		}
		for i := range r.Endpoints {
			c := &r.Endpoints[i].Conditions
			c.Ready, c.Serving, c.Terminating = s.flags.of(c.Ready), s.flags.of(c.Serving), s.flags.of(c.Terminating)
		}
	}
}

// common shares the values of the parts every route kind has: its namespace, parentRefs, and the
// status of each parent (controller name, conditions).
func (s *sharedValues) common(meta *metav1.ObjectMeta, spec *gatewayv1.CommonRouteSpec, status *gatewayv1.RouteStatus) {
	meta.Namespace = s.str(meta.Namespace)
	for i := range spec.ParentRefs {
		s.parentRef(&spec.ParentRefs[i])
	}
	for i := range status.Parents {
		p := &status.Parents[i]
		s.parentRef(&p.ParentRef)
		p.ControllerName = gatewayv1.GatewayController(s.str(string(p.ControllerName)))
		for j := range p.Conditions {
			c := &p.Conditions[j]
			c.Type, c.Status, c.Reason, c.Message = s.str(c.Type), metav1.ConditionStatus(s.str(string(c.Status))), s.str(c.Reason), s.str(c.Message)
		}
	}
	if len(status.Parents) > 0 {
		status.Parents = s.parents.of(parentsKey(status.Parents), status.Parents)
	}
}

// parentsKey spells every field of a route's parent statuses, so that two statuses with equal
// keys are equal. Values are quoted: a name or message cannot make two statuses spell alike.
func parentsKey(parents []gatewayv1.RouteParentStatus) string {
	var b []byte
	quote := func(v string) { b = strconv.AppendQuote(b, v) }
	ptr := func(v *string) {
		if v == nil {
			b = append(b, '-')
			return
		}
		quote(*v)
	}
	for _, p := range parents {
		r := p.ParentRef
		ptr((*string)(r.Group))
		ptr((*string)(r.Kind))
		ptr((*string)(r.Namespace))
		quote(string(r.Name))
		ptr((*string)(r.SectionName))
		if r.Port != nil {
			b = strconv.AppendInt(b, int64(*r.Port), 10)
		}
		b = append(b, '|')
		quote(string(p.ControllerName))
		for _, c := range p.Conditions {
			quote(c.Type)
			quote(string(c.Status))
			b = strconv.AppendInt(b, c.ObservedGeneration, 10)
			b = append(b, ' ')
			b = c.LastTransitionTime.UTC().AppendFormat(b, time.RFC3339Nano)
			quote(c.Reason)
			quote(c.Message)
		}
		b = append(b, ';')
	}
	return string(b)
}

func (s *sharedValues) parentRef(r *gatewayv1.ParentReference) {
	r.Group, r.Kind, r.Namespace, r.SectionName = s.groups.of(r.Group), s.kinds.of(r.Kind), s.namespaces.of(r.Namespace), s.sections.of(r.SectionName)
	r.Name = gatewayv1.ObjectName(s.str(string(r.Name)))
}

func (s *sharedValues) backendRef(r *gatewayv1.BackendObjectReference) {
	r.Group, r.Kind, r.Namespace = s.groups.of(r.Group), s.kinds.of(r.Kind), s.namespaces.of(r.Namespace)
	r.Name = gatewayv1.ObjectName(s.str(string(r.Name)))
}
