package translate

import (
	"slices"
	"strconv"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Builder builds as Build does, and reuses each route's own result (routeResult) from the build
// before while the route and everything that result read are unchanged: the same spec of the
// route (uid and generation: the status the controller writes is no input), the same
// resourceVersion of the Services its backendRefs name and of every ReferenceGrant, Namespace
// and Secret, and the same spec of every GatewayClass and Gateway (see worldVersions). When only
// the EndpointSlices of its Services changed, only its servers are resolved again. Without resourceVersions (standalone files) everything is built again. Only
// the placement of routes on listeners and sockets, which weighs routes against each other, runs
// over every route each time.
//
// TestBuilderEqualsBuild checks, over random sequences of changes to every kind, that a Builder's
// model is always Build's.
type Builder struct {
	opts Options
	// world is the version of every object a route's result may read besides its Services;
	// versioned is false when some object has no resourceVersion.
	world     []string
	versioned bool
	routes    map[routeKey]*cachedRoute
	pass      uint64
	// attached is how many attachments each listener of each Gateway had in the last build, by
	// listener index: the lists are made that large up front.
	attached map[types.NamespacedName][]int
	// serviceVersions are the versions of every Service and its EndpointSlices in the last build,
	// by "namespace/name"; changedServices says how those that differ in this build do. Every
	// route kept was seen in the last build, so what changed since is all it needs to know.
	serviceVersions map[string]serviceVersion
	changedServices map[string]servicesState
	// Reused and Built count the route results of the last build taken from the build before, and
	// made anew.
	Reused, Built int
	// kept counts the results of this build that are kept for the next one: those left over were
	// not seen, and go.
	kept int
	// last is what the last build left for UpdateRoutes; placedRoutes and named are the routes
	// and the Services routes name of the build under way.
	last         *lastBuild
	placedRoutes []placedRoute
	named        map[string]bool
	// updated is what the last UpdateRoutes decided again.
	updated updatedNames
}

type routeKey struct{ kind, namespace, name string }

// serviceVersion is a Service's resourceVersion ("" when it does not exist) and those of its
// EndpointSlices, in snapshot order.
type serviceVersion struct {
	service string
	slices  []string
}

type cachedRoute struct {
	uid        types.UID
	generation int64
	seen       uint64
	result     *routeResult
}

// NewBuilder returns a Builder that builds with opts.
func NewBuilder(opts Options) *Builder {
	return &Builder{opts: opts, routes: map[routeKey]*cachedRoute{}}
}

// Build returns Build(s, opts) for the Builder's options. s's objects must not change after the
// call (a changed object comes as a new one, with a new resourceVersion, as from an informer).
func (b *Builder) Build(s *snapshot.Snapshot) *model.Model {
	b.pass++
	b.Reused, b.Built, b.kept = 0, 0, 0
	world, versioned := worldVersions(s)
	if !versioned || !slices.Equal(world, b.world) {
		clear(b.routes)
	}
	b.world, b.versioned = world, versioned
	b.last, b.placedRoutes, b.named = nil, make([]placedRoute, 0, len(s.TLSRoutes)+len(s.HTTPRoutes)+len(s.GRPCRoutes)), map[string]bool{}
	m := build(s, b.opts, b)
	if len(b.routes) > b.kept {
		for key, c := range b.routes {
			if c.seen != b.pass {
				delete(b.routes, key)
			}
		}
	}
	return m
}

// presize makes the attachment lists of a Gateway's listeners as large as the last build's.
func (b *Builder) presize(g *gateway) {
	if b == nil {
		return
	}
	sizes := b.attached[types.NamespacedName{Namespace: g.spec.Namespace, Name: g.spec.Name}]
	for i, l := range g.listeners {
		if i < len(sizes) && sizes[i] > 0 {
			g.attachments[l] = make([]attachment, 0, sizes[i]+sizes[i]/16+1)
		}
	}
}

// remember records how many attachments each listener got, for presize, and what UpdateRoutes
// starts from.
func (b *Builder) remember(ordered []*gateway, gateways map[types.NamespacedName]*gateway, in *index, m *model.Model, uses policyUses) {
	if b == nil {
		return
	}
	b.last = &lastBuild{model: m, in: in, gateways: gateways, ordered: ordered, placed: b.placedRoutes, named: b.named, staleServers: map[string]bool{},
		policyUses: uses}
	b.placedRoutes, b.named = nil, nil
	b.attached = make(map[types.NamespacedName][]int, len(ordered))
	for _, g := range ordered {
		sizes := make([]int, len(g.listeners))
		for i, l := range g.listeners {
			sizes[i] = len(g.attachments[l])
		}
		// The attachments point into the snapshot, which UpdateRoutes does not read: let it go.
		g.attachments = nil
		b.attached[types.NamespacedName{Namespace: g.spec.Namespace, Name: g.spec.Name}] = sizes
	}
}

// result is a route's result: the one from the build before when it still holds, or compute's.
// A nil Builder always computes.
func (b *Builder) result(kind string, route metav1.Object, in *index, compute func() *routeResult) *routeResult {
	if b == nil {
		return compute()
	}
	if !b.versioned || route.GetResourceVersion() == "" {
		b.Built++
		return compute()
	}
	key := routeKey{kind, route.GetNamespace(), route.GetName()}
	if c := b.routes[key]; c != nil && c.uid == route.GetUID() && c.generation == route.GetGeneration() {
		switch b.servicesNow(c.result.services) {
		case endpointsMoved:
			// Only servers depend on EndpointSlices: the rest of the result stands.
			c.result = c.result.withServers(in)
			fallthrough
		case servicesSame:
			c.seen = b.pass
			b.Reused++
			b.kept++
			return c.result
		}
	}
	r := compute()
	r.services = serviceKeys(route.GetNamespace(), backendRefsOf(route))
	b.routes[key] = &cachedRoute{uid: route.GetUID(), generation: route.GetGeneration(), seen: b.pass, result: r}
	b.Built++
	b.kept++
	return r
}

// compareServices notes how every Service and its EndpointSlices differ from the last build.
func (b *Builder) compareServices(in *index) {
	if b == nil {
		return
	}
	now := make(map[string]serviceVersion, len(in.services)+len(in.slicesByService))
	for key, svc := range in.services {
		now[key] = serviceVersion{service: svc.ResourceVersion}
	}
	for key, list := range in.slicesByService {
		v := now[key]
		for _, slice := range list {
			v.slices = append(v.slices, slice.ResourceVersion)
		}
		now[key] = v
	}
	changed := map[string]servicesState{}
	for key, v := range now {
		switch last, ok := b.serviceVersions[key]; {
		case !ok || last.service != v.service:
			changed[key] = servicesChanged
		case !slices.Equal(last.slices, v.slices):
			changed[key] = endpointsMoved
		}
	}
	for key := range b.serviceVersions {
		if _, ok := now[key]; !ok {
			changed[key] = servicesChanged
		}
	}
	b.serviceVersions, b.changedServices = now, changed
}

// worldVersions lists the version of every object a route's result may read besides Services
// and EndpointSlices; false when one has none. GatewayClasses and Gateways count by their spec:
// their status, which the controller itself writes after every change of attachedRoutes, is no
// input of a route's result.
func worldVersions(s *snapshot.Snapshot) ([]string, bool) {
	out := make([]string, 0, 2+len(s.GatewayClasses)+len(s.Gateways)+len(s.ReferenceGrants)+len(s.Namespaces)+len(s.Secrets)+
		len(s.BackendTLSPolicies)+len(s.ConfigMaps)+len(s.ClusterTrustBundles))
	out = append(out, s.CRDBundleVersion, s.NoClusterTrustBundles)
	versioned := true
	add := func(kind string, o metav1.Object, version string) {
		versioned = versioned && o.GetResourceVersion() != ""
		out = append(out, kind+"/"+o.GetNamespace()+"/"+o.GetName()+"@"+version)
	}
	for i := range s.GatewayClasses {
		add("GatewayClass", &s.GatewayClasses[i], bySpec(&s.GatewayClasses[i]))
	}
	for i := range s.Gateways {
		add("Gateway", &s.Gateways[i], bySpec(&s.Gateways[i]))
	}
	for i := range s.ReferenceGrants {
		add("ReferenceGrant", &s.ReferenceGrants[i], s.ReferenceGrants[i].ResourceVersion)
	}
	for i := range s.Namespaces {
		add("Namespace", &s.Namespaces[i], s.Namespaces[i].ResourceVersion)
	}
	for i := range s.Secrets {
		add("Secret", &s.Secrets[i], s.Secrets[i].ResourceVersion)
	}
	for i := range s.BackendTLSPolicies {
		add("BackendTLSPolicy", &s.BackendTLSPolicies[i], bySpec(&s.BackendTLSPolicies[i]))
	}
	for i := range s.ConfigMaps {
		add("ConfigMap", &s.ConfigMaps[i], s.ConfigMaps[i].ResourceVersion)
	}
	for i := range s.ClusterTrustBundles {
		add("ClusterTrustBundle", &s.ClusterTrustBundles[i], s.ClusterTrustBundles[i].ResourceVersion)
	}
	return out, versioned
}

// bySpec is the version of an object's spec: its uid and generation. Its status, which the
// controller writes itself, does not move it.
func bySpec(o metav1.Object) string {
	return string(o.GetUID()) + "/" + strconv.FormatInt(o.GetGeneration(), 10)
}

// serviceKeys are the Services ("namespace/name") refs name, each once.
func serviceKeys(namespace string, refs []gatewayv1.BackendObjectReference) []string {
	var out []string
	for _, ref := range refs {
		if key := serviceKey(namespace, ref); !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	return out
}

// serviceKey is the "namespace/name" a backendRef of a route in namespace names.
func serviceKey(namespace string, ref gatewayv1.BackendObjectReference) string {
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	return namespace + "/" + string(ref.Name)
}

// servicesState is how the Services a route result read changed since the last build, from the
// least to the most.
type servicesState int

const (
	servicesSame servicesState = iota
	// endpointsMoved: the Services are the same, some of their EndpointSlices are not.
	endpointsMoved
	servicesChanged
)

// servicesNow is how the Services of keys changed since the last build: the most any of them did.
func (b *Builder) servicesNow(keys []string) servicesState {
	state := servicesSame
	if len(b.changedServices) == 0 {
		return state
	}
	for _, key := range keys {
		state = max(state, b.changedServices[key])
	}
	return state
}

// withServers is the result with the servers of its backends resolved again from the index's
// EndpointSlices, as ResolveServers does.
func (r *routeResult) withServers(in *index) *routeResult {
	out := *r
	out.backends = make([]*model.Backend, len(r.backends))
	for i, b := range r.backends {
		out.backends[i] = withRefs(b, b.Refs, in)
	}
	return &out
}

// backendRefsOf lists what a route's backendRefs point at.
func backendRefsOf(route metav1.Object) []gatewayv1.BackendObjectReference {
	var out []gatewayv1.BackendObjectReference
	switch r := route.(type) {
	case *gatewayv1.TLSRoute:
		for _, rule := range r.Spec.Rules {
			for _, ref := range rule.BackendRefs {
				out = append(out, ref.BackendObjectReference)
			}
		}
	case *gatewayv1.HTTPRoute:
		for _, rule := range r.Spec.Rules {
			for _, ref := range rule.BackendRefs {
				out = append(out, ref.BackendObjectReference)
			}
		}
	case *gatewayv1.GRPCRoute:
		for _, rule := range r.Spec.Rules {
			for _, ref := range rule.BackendRefs {
				out = append(out, ref.BackendObjectReference)
			}
		}
	}
	return out
}
