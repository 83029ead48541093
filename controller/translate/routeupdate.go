package translate

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A change of routes alone is the most common change on a shared gateway, and it touches a few
// hostnames of a few sockets. UpdateRoutes gives the model a build would give for it, starting
// from the last model: the changed routes are decided again, and of what weighs routes against
// each other only the hostnames they claim are weighed again. Which routes claim a hostname of a
// socket is kept by hostname, in the order the build places routes in, so a change costs its own
// hostnames, not the socket's: for TLSRoutes the SNI entry of each hostname (below), for
// HTTPRoutes and GRPCRoutes the virtual host of each (vhostupdate.go).
//
// TestBuilderEqualsBuild checks, after random sequences of changes, that the model UpdateRoutes
// gives is Build's.

// RouteChange is a route created, changed or deleted since the Builder's last model.
type RouteChange struct {
	// Kind is KindTLSRoute, KindHTTPRoute or KindGRPCRoute.
	Kind            string
	Namespace, Name string
	// The route as it is now, in the field of its kind; every field is nil when it is gone.
	TLSRoute  *gatewayv1.TLSRoute
	HTTPRoute *gatewayv1.HTTPRoute
	GRPCRoute *gatewayv1.GRPCRoute
}

// The kinds of routes a RouteChange names.
const (
	KindTLSRoute  = kindTLSRoute
	KindHTTPRoute = kindHTTPRoute
	KindGRPCRoute = kindGRPCRoute
)

// route is the changed route as it is now, nil when it is gone.
func (c RouteChange) route() metav1.Object {
	switch {
	case c.TLSRoute != nil:
		return c.TLSRoute
	case c.HTTPRoute != nil:
		return c.HTTPRoute
	case c.GRPCRoute != nil:
		return c.GRPCRoute
	}
	return nil
}

func (c RouteChange) key() routeKey { return routeKey{c.Kind, c.Namespace, c.Name} }

// lastBuild is what the last build left for UpdateRoutes: its model, what it read, and its
// Gateways and listeners as placed (the listeners' attachedRoutes counts included).
type lastBuild struct {
	model    *model.Model
	in       *index
	gateways map[types.NamespacedName]*gateway
	ordered  []*gateway
	// placed are the build's routes in the order it placed them (TLSRoutes, HTTPRoutes, then
	// GRPCRoutes, each in snapshot order), with their results.
	placed []placedRoute
	// policyUses are the BackendTLSPolicy targets each route uses; nil without policies.
	policyUses policyUses
	// claims is made from placed at the first UpdateRoutes, then kept up to date.
	claims *claimIndex
	// staleServers are the Services whose EndpointSlices changed since the build (see
	// ServersChanged): a result that read one has its servers resolved again when it is used.
	staleServers map[string]bool
	// named are the Services ("namespace/name") the build's routes name: a source reads those
	// with their EndpointSlices (snapshot.ReferencesOf), and may read other Services without
	// them (the per-Gateway Services' namespace), so only these can be looked up for a route.
	named map[string]bool
	// byService indexes the backends of byServiceOf, the last model's when it was made: a later
	// model of the same build (UpdateRoutes) has backends of its own, and is indexed again.
	byService   BackendsByService
	byServiceOf []*model.Backend
}

// placedRoute is a route as the last model has it.
type placedRoute struct {
	key       routeKey
	created   time.Time
	result    *routeResult
	hasStatus bool
	// counted are the listeners whose attachedRoutes count the route, once per attachment; used
	// is set when its backends are in the data plane (it serves some hostname).
	counted []*listener
	used    bool
}

// claimIndex is, per socket of the served listeners, which routes claim each hostname, in the
// build's order: for SNI the first one serves it; for a virtual host the first one's kind does.
type claimIndex struct {
	gateways map[types.NamespacedName]*gateway
	sockets  map[*listener]*claimSocket
	routes   map[routeKey]*placedRoute
}

// claimSocket is one socket of a Gateway: its served listeners of every protocol (together they
// decide which listener a hostname selects), the claims of TLSRoutes on the hostnames of its TLS
// listeners, and those of HTTPRoutes and GRPCRoutes on the virtual hosts of its HTTP and HTTPS
// listeners.
type claimSocket struct {
	gateway, address string
	port             int32
	listeners        []*listener
	claims           map[string][]claim
	hosts            map[string][]claim
}

// claim is a route's claim on one hostname, through the bound-th listener of its parent-th
// parentRef.
type claim struct {
	route         *placedRoute
	parent, bound int
	listener      *listener
	// specificity is how precisely the route's hostnames name the hostname (hostnameSpecificity).
	specificity int
}

// compareClaims orders claims as the build places routes: the more specific claim first, then the
// older route, then by namespace and name, then in the order of the route's own parentRefs and
// listeners.
func compareClaims(a, b claim) int {
	return cmp.Or(cmp.Compare(b.specificity, a.specificity), a.route.created.Compare(b.route.created),
		cmp.Compare(a.route.key.namespace, b.route.key.namespace), cmp.Compare(a.route.key.name, b.route.key.name),
		cmp.Compare(a.parent, b.parent), cmp.Compare(a.bound, b.bound))
}

// placed records a route of the build under way for UpdateRoutes: the Services it names, and its
// result.
func (b *Builder) placed(kind string, route metav1.Object, r *routeResult, hasStatus bool) {
	if b == nil {
		return
	}
	for _, ref := range backendRefsOf(route) {
		if snapshot.NamesService(ref) {
			b.named[serviceKey(route.GetNamespace(), ref)] = true
		}
	}
	b.placedRoutes = append(b.placedRoutes, placedRoute{key: routeKey{kind, route.GetNamespace(), route.GetName()},
		created: route.GetCreationTimestamp().Time, result: r, hasStatus: hasStatus})
}

// ServersChanged tells the Builder that the EndpointSlices of services changed and are now those
// of slicesByService (as ResolveServers takes them): its last model, and the route results that
// read them, follow. It returns the last model's data plane with those servers, and the backends
// whose servers changed (ResolveServers'); false when the Builder has no last model.
func (b *Builder) ServersChanged(services map[string]bool, slicesByService map[string][]*discoveryv1.EndpointSlice) (model.DataPlane, []model.BackendID, bool) {
	last := b.last
	if last == nil {
		return model.DataPlane{}, nil, false
	}
	for svc := range services {
		if list := slicesByService[svc]; len(list) > 0 {
			last.in.slicesByService[svc] = list
		} else {
			delete(last.in.slicesByService, svc)
		}
		last.staleServers[svc] = true
	}
	last.indexServices()
	m := *last.model
	var changed []model.BackendID
	m.DataPlane, changed = ResolveServers(m.DataPlane, services, slicesByService, last.byService)
	// Servers changed in place of a copy: the positions hold.
	last.model, last.byServiceOf = &m, m.DataPlane.Backends
	return m.DataPlane, changed, true
}

// indexServices indexes the last model's backends by the Services they name, unless that is done.
func (last *lastBuild) indexServices() {
	if backends := last.model.DataPlane.Backends; !model.SameSlice(last.byServiceOf, backends) {
		last.byService, last.byServiceOf = IndexBackendsByService(backends), backends
	}
}

// Prepare makes the indexes that the next UpdateRoutes and ServersChanged would make first:
// the hostname claims of the last build's routes, and its backends by Service. With 10,000
// routes they take tens of milliseconds, better spent while no change waits than on the first
// change after a build. It changes no model.
func (b *Builder) Prepare() {
	last := b.last
	if last == nil {
		return
	}
	if b.versioned && last.claims == nil {
		last.claims = last.newClaimIndex()
	}
	last.indexServices()
}

// UpdateRoutes returns the model of the last build's objects with changes made, and keeps it as
// the last model. False means it cannot, and nothing changed: there is no last model, objects
// have no resourceVersions, or a route names a Service the last build did not read. Build is
// then what to call.
func (b *Builder) UpdateRoutes(changes []RouteChange) (*model.Model, bool) {
	last := b.last
	if last == nil || !b.versioned {
		return nil, false
	}
	changes = lastOfEach(changes)
	results := make([]*routeResult, len(changes))
	for i, c := range changes {
		if c.route() == nil {
			continue
		}
		r, ok := b.updatedResult(c)
		if !ok {
			return nil, false
		}
		results[i] = r
	}
	if last.claims == nil {
		last.claims = last.newClaimIndex()
	}
	idx := last.claims
	b.Built, b.Reused = 0, 0

	// Take the changed routes' claims out and put their new ones in, noting for each hostname
	// touched which route served it before.
	served := map[hostOf]*placedRoute{}
	note := func(h hostOf) {
		if _, ok := served[h]; !ok {
			served[h] = h.head()
		}
	}
	before := map[routeKey]settled{}
	dirty := map[routeKey]*placedRoute{}
	for i, c := range changes {
		key := c.key()
		if p := idx.routes[key]; p != nil {
			before[key] = p.settled()
			idx.eachClaim(p, func(h hostOf, _ claim) {
				note(h)
				h.set(slices.DeleteFunc(h.claims(), func(x claim) bool { return x.route == p }))
			})
			delete(idx.routes, key)
			delete(b.routes, key)
		} else {
			before[key] = settled{}
		}
		dirty[key] = nil
		route := c.route()
		if route == nil {
			continue
		}
		p := &placedRoute{key: key, created: route.GetCreationTimestamp().Time, result: results[i],
			hasStatus: results[i].hasStatus(statusParentsOf(route), b.opts.ControllerName)}
		idx.routes[key], dirty[key] = p, p
		b.routes[key] = &cachedRoute{uid: route.GetUID(), generation: route.GetGeneration(), seen: b.pass, result: p.result}
		b.Built++
		idx.eachClaim(p, func(h hostOf, x claim) {
			note(h)
			list := h.claims()
			at, _ := slices.BinarySearchFunc(list, x, h.compare())
			h.set(slices.Insert(list, at, x))
		})
	}
	// Where another route serves a hostname now, every claimant's verdict changes: it names the
	// route that serves it.
	for host, was := range served {
		if host.head() == was {
			continue
		}
		for _, x := range host.claims() {
			if _, ok := before[x.route.key]; !ok {
				before[x.route.key] = x.route.settled()
			}
			dirty[x.route.key] = x.route
		}
	}

	m := *last.model
	patch := modelPatch{m: &m}
	for key, p := range dirty {
		was := before[key]
		for _, l := range was.counted {
			l.attached--
		}
		for _, id := range was.backends {
			patch.removeBackend(id)
		}
		if p == nil {
			if was.hasStatus {
				patch.setStatus(key, nil)
			}
			continue
		}
		b.refreshServers(p)
		var status *model.Route
		p.counted, p.used, status = idx.settle(p)
		for _, l := range p.counted {
			l.attached++
		}
		if p.used {
			for _, backend := range p.result.usedBackends() {
				patch.addBackend(backend)
			}
		}
		switch {
		case p.hasStatus:
			patch.setStatus(key, status)
		case was.hasStatus:
			patch.setStatus(key, nil)
		}
	}
	for host := range served {
		if host.http {
			patch.setVirtualHost(host.socket, host.hostname)
		} else {
			patch.setSNI(host.socket, host.hostname)
		}
	}
	m.Gateways = make([]model.Gateway, 0, len(last.ordered))
	for _, g := range last.ordered {
		m.Gateways = append(m.Gateways, gatewayStatus(g))
	}
	if last.policyUses != nil {
		// A policy's ancestors follow the routes using its Services, those changed and those
		// settled again alike.
		for _, c := range changes {
			key := c.key()
			delete(last.policyUses, key)
			if route := c.route(); route != nil {
				if targets := last.in.policies.usesOf(c.Namespace, backendRefsOf(route), last.in); len(targets) > 0 {
					last.policyUses[key] = targets
				}
			}
		}
		m.BackendTLSPolicies = policyStatus(last.in.policies, last.policyUses, m.Routes, b.opts.ControllerName)
	}
	last.model = &m
	b.updated = namesOf(dirty, served)
	return &m, true
}

// UpdatedNames names what the last UpdateRoutes decided again: the Gateways whose sockets it
// weighed hostnames on ("namespace/name") and the routes ("Kind namespace/name"), each sorted.
func (b *Builder) UpdatedNames() (gateways, routes []string) {
	return b.updated.gateways, b.updated.routes
}

type updatedNames struct{ gateways, routes []string }

func namesOf(dirty map[routeKey]*placedRoute, served map[hostOf]*placedRoute) updatedNames {
	var out updatedNames
	for key := range dirty {
		out.routes = append(out.routes, key.kind+" "+key.namespace+"/"+key.name)
	}
	for host := range served {
		if !slices.Contains(out.gateways, host.socket.gateway) {
			out.gateways = append(out.gateways, host.socket.gateway)
		}
	}
	slices.Sort(out.routes)
	slices.Sort(out.gateways)
	return out
}

// lastOfEach keeps the last change of each route.
func lastOfEach(changes []RouteChange) []RouteChange {
	seen := make(map[routeKey]bool, len(changes))
	out := make([]RouteChange, 0, len(changes))
	for i := len(changes) - 1; i >= 0; i-- {
		if key := changes[i].key(); !seen[key] {
			seen[key] = true
			out = append(out, changes[i])
		}
	}
	return out
}

// updatedResult is a changed route's result: the one kept when its spec is the same, or one made
// anew. False when it names a Service the last build did not read: whether that exists is not
// known here.
func (b *Builder) updatedResult(c RouteChange) (*routeResult, bool) {
	route := c.route()
	if cached := b.routes[c.key()]; cached != nil && cached.uid == route.GetUID() && cached.generation == route.GetGeneration() {
		return cached.result, true
	}
	if route.GetResourceVersion() == "" {
		return nil, false
	}
	refs := backendRefsOf(route)
	for _, ref := range refs {
		if !snapshot.NamesService(ref) {
			continue
		}
		if !b.last.named[serviceKey(c.Namespace, ref)] {
			return nil, false
		}
	}
	var r *routeResult
	switch {
	case c.TLSRoute != nil:
		r = tlsRoute(c.TLSRoute, b.last.gateways, b.last.in, b.opts)
	case c.HTTPRoute != nil:
		r = httpRoute(c.HTTPRoute, b.last.gateways, b.last.in, b.opts)
	default:
		r = grpcRoute(c.GRPCRoute, b.last.gateways, b.last.in, b.opts)
	}
	r.services = serviceKeys(c.Namespace, refs)
	return r, true
}

// statusParentsOf is the status a route has now, as it was read.
func statusParentsOf(route metav1.Object) []gatewayv1.RouteParentStatus {
	switch r := route.(type) {
	case *gatewayv1.TLSRoute:
		return r.Status.Parents
	case *gatewayv1.HTTPRoute:
		return r.Status.Parents
	case *gatewayv1.GRPCRoute:
		return r.Status.Parents
	}
	return nil
}

// refreshServers resolves the servers of a route's result again when it read a Service whose
// EndpointSlices changed since the build, as Build would.
func (b *Builder) refreshServers(p *placedRoute) {
	if len(b.last.staleServers) == 0 || !slices.ContainsFunc(p.result.services, func(s string) bool { return b.last.staleServers[s] }) {
		return
	}
	p.result = p.result.withServers(b.last.in)
	if c := b.routes[p.key]; c != nil {
		c.result = p.result
	}
}

// settled is what a route contributed to the last model.
type settled struct {
	counted []*listener
	// backends are the route's backends in the data plane.
	backends  []model.BackendID
	hasStatus bool
}

func (p *placedRoute) settled() settled {
	s := settled{counted: p.counted, hasStatus: p.hasStatus}
	if p.used {
		for _, b := range p.result.usedBackends() {
			s.backends = append(s.backends, b.ID)
		}
	}
	return s
}

// usedBackends are the backends a route puts in the data plane when it serves some hostname: a
// TLSRoute's first, the backend of each rule an HTTPRoute or GRPCRoute serves.
func (r *routeResult) usedBackends() []*model.Backend {
	if len(r.backends) == 0 {
		return nil
	}
	if r.kind == kindTLSRoute {
		return r.backends[:1]
	}
	var out []*model.Backend
	for _, rule := range r.rules {
		if b := r.backends[rule.Backend.Rule]; !slices.ContainsFunc(out, func(x *model.Backend) bool { return x.ID == b.ID }) {
			out = append(out, b)
		}
	}
	return out
}

// hostOf is a hostname of a socket: its SNI entry, or with http its virtual host.
type hostOf struct {
	socket   *claimSocket
	hostname string
	http     bool
}

// claims are the claims on the hostname, in the build's order.
func (h hostOf) claims() []claim {
	if h.http {
		return h.socket.hosts[h.hostname]
	}
	return h.socket.claims[h.hostname]
}

// set makes list the claims on the hostname.
func (h hostOf) set(list []claim) {
	claims := h.socket.claims
	if h.http {
		claims = h.socket.hosts
	}
	if len(list) == 0 {
		delete(claims, h.hostname)
		return
	}
	claims[h.hostname] = list
}

// compare is the order of the claims on the hostname.
func (h hostOf) compare() func(a, b claim) int {
	if h.http {
		return compareHostClaims
	}
	return compareClaims
}

// head is the route of the first claim on the hostname, nil when none.
func (h hostOf) head() *placedRoute {
	if list := h.claims(); len(list) > 0 {
		return list[0].route
	}
	return nil
}

// newClaimIndex lays the last build's routes onto its sockets, as dataPlane does.
func (last *lastBuild) newClaimIndex() *claimIndex {
	idx := &claimIndex{gateways: last.gateways, sockets: map[*listener]*claimSocket{},
		routes: make(map[routeKey]*placedRoute, len(last.placed))}
	for _, g := range last.ordered {
		if !g.placement.bound {
			continue
		}
		byPort := map[int32]*claimSocket{}
		for _, l := range g.listeners {
			if !l.served() {
				continue
			}
			port := g.placement.bindPort(int32(l.spec.Port))
			s := byPort[port]
			if s == nil {
				s = &claimSocket{gateway: g.key(), address: g.placement.bindAddress, port: port, claims: map[string][]claim{}, hosts: map[string][]claim{}}
				byPort[port] = s
			}
			s.listeners = append(s.listeners, l)
			idx.sockets[l] = s
		}
	}
	for i := range last.placed {
		p := &last.placed[i]
		idx.routes[p.key] = p
		idx.eachClaim(p, func(h hostOf, x claim) { h.set(append(h.claims(), x)) })
	}
	for _, s := range idx.sockets {
		for _, list := range s.claims {
			slices.SortFunc(list, compareClaims)
		}
		for _, list := range s.hosts {
			slices.SortFunc(list, compareHostClaims)
		}
	}
	for i := range last.placed {
		p := &last.placed[i]
		p.counted, p.used, _ = idx.settle(p)
	}
	return idx
}

// eachClaim calls fn for each hostname the route claims: on each listener it is bound to that
// has a socket, the hostnames that select that listener.
func (idx *claimIndex) eachClaim(p *placedRoute, fn func(hostOf, claim)) {
	http := p.key.kind != kindTLSRoute
	for i, bound := range p.result.bound {
		for j, bl := range bound {
			l := idx.gateways[bl.gateway].listeners[bl.listener]
			s := idx.sockets[l]
			if s == nil {
				continue
			}
			for k, h := range bl.hostnames {
				if selectListener(s.listeners, h) == l {
					fn(hostOf{s, h, http}, claim{route: p, parent: i, bound: j, listener: l, specificity: bl.specificity[k]})
				}
			}
		}
	}
}

// settle decides, as dataPlane does, what became of the route's hostnames: the listeners that
// count it, whether its backends are used, and its status.
func (idx *claimIndex) settle(p *placedRoute) (counted []*listener, used bool, status *model.Route) {
	r := p.result
	pending := pendingRoute{status: &r.status, verdicts: make([]*verdict, len(r.bound))}
	for i, bound := range r.bound {
		v := &verdict{}
		pending.verdicts[i] = v
		// dataPlane takes listeners by port, then in the Gateway's order.
		order := make([]int, len(bound))
		for j := range order {
			order[j] = j
		}
		port := func(j int) int32 {
			if s := idx.sockets[idx.gateways[bound[j].gateway].listeners[bound[j].listener]]; s != nil {
				return s.port
			}
			return 0
		}
		sort.SliceStable(order, func(a, b int) bool { return port(order[a]) < port(order[b]) })
		for _, j := range order {
			bl := bound[j]
			l := idx.gateways[bl.gateway].listeners[bl.listener]
			s := idx.sockets[l]
			if s == nil {
				// Attached where nothing is served: counted, never weighed.
				counted = append(counted, l)
				continue
			}
			n := 0
			for _, h := range bl.hostnames {
				if owner := selectListener(s.listeners, h); owner != l {
					v.shadowed(h, owner)
					continue
				}
				if p.key.kind != kindTLSRoute {
					// Every route of the kind that serves the virtual host first serves it.
					if head := s.hosts[h][0].route; head.key.kind != p.key.kind {
						v.kindTaken(h, l, head.key.kind, head.key.namespace, head.key.name)
						continue
					}
				} else if head := s.claims[h][0]; head.route != p || head.parent != i || head.bound != j {
					v.taken(h, l, head.route.key.namespace, head.route.key.name)
					continue
				}
				n++
			}
			v.served += n
			if n > 0 {
				counted = append(counted, l)
				used = used || len(r.backends) > 0
			}
		}
	}
	return counted, used, pending.finish()
}

// modelPatch changes a copy of a model, copying each list it changes once.
type modelPatch struct {
	m                                  *model.Model
	routesCopied, backendsCopied       bool
	socketsCopied                      bool
	passthroughCopied, terminateCopied map[int]bool
	virtualHostsCopied                 map[int]bool
}

// setStatus sets (or with nil removes) a route's status among the model's routes, which are
// TLSRoutes, HTTPRoutes, then GRPCRoutes, each in snapshot order.
func (p *modelPatch) setStatus(key routeKey, status *model.Route) {
	if !p.routesCopied {
		p.m.Routes, p.routesCopied = cloneWithRoom(p.m.Routes), true
	}
	i, found := slices.BinarySearchFunc(p.m.Routes, key, func(r *model.Route, k routeKey) int {
		return cmp.Or(cmp.Compare(model.RouteKindOrder(r.Kind), model.RouteKindOrder(k.kind)), cmp.Compare(r.Namespace, k.namespace), cmp.Compare(r.Name, k.name))
	})
	switch {
	case status == nil && found:
		p.m.Routes = slices.Delete(p.m.Routes, i, i+1)
	case status == nil:
	case found:
		p.m.Routes[i] = status
	default:
		p.m.Routes = slices.Insert(p.m.Routes, i, status)
	}
}

func (p *modelPatch) backends() []*model.Backend {
	if !p.backendsCopied {
		p.m.DataPlane.Backends, p.backendsCopied = cloneWithRoom(p.m.DataPlane.Backends), true
	}
	return p.m.DataPlane.Backends
}

func (p *modelPatch) removeBackend(id model.BackendID) {
	list := p.backends()
	if i, found := slices.BinarySearchFunc(list, id, compareBackendTo); found {
		p.m.DataPlane.Backends = slices.Delete(list, i, i+1)
	}
}

func (p *modelPatch) addBackend(b *model.Backend) {
	list := p.backends()
	i, found := slices.BinarySearchFunc(list, b.ID, compareBackendTo)
	if found {
		list[i] = b
		return
	}
	p.m.DataPlane.Backends = slices.Insert(list, i, b)
}

// cloneWithRoom copies a list the last model shares, with room for the few entries a change
// inserts: an insert into an exact copy would copy it all again.
func cloneWithRoom[T any](s []T) []T {
	return append(make([]T, 0, len(s)+16), s...)
}

func compareBackendTo(b *model.Backend, id model.BackendID) int {
	return model.CompareBackendIDs(b.ID, id)
}

// setSNI makes a hostname's entry in the socket's SNI routes name the route that serves it now,
// or removes it.
func (p *modelPatch) setSNI(s *claimSocket, hostname string) {
	at := p.socket(s)
	if at < 0 {
		return
	}
	sock := &p.m.DataPlane.Sockets[at]
	for _, list := range []struct {
		routes *[]*model.SNIRoute
		copied map[int]bool
	}{{&sock.Passthrough, p.passthroughCopied}, {&sock.Terminate, p.terminateCopied}} {
		i, found := slices.BinarySearchFunc(*list.routes, hostname, compareSNIToHost)
		if !found {
			continue
		}
		if !list.copied[at] {
			*list.routes, list.copied[at] = cloneWithRoom(*list.routes), true
		}
		*list.routes = slices.Delete(*list.routes, i, i+1)
	}
	list := s.claims[hostname]
	if len(list) == 0 {
		return
	}
	routes, copied := &sock.Passthrough, p.passthroughCopied
	if list[0].listener.mode() == gatewayv1.TLSModeTerminate {
		routes, copied = &sock.Terminate, p.terminateCopied
	}
	if !copied[at] {
		*routes, copied[at] = cloneWithRoom(*routes), true
	}
	i, _ := slices.BinarySearchFunc(*routes, hostname, compareSNIToHost)
	*routes = slices.Insert(*routes, i, &model.SNIRoute{Hostname: hostname, Backend: list[0].route.result.backend()})
}

func compareSNIToHost(r *model.SNIRoute, hostname string) int {
	return strings.Compare(r.Hostname, hostname)
}
