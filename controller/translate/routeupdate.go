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

// A change of TLSRoutes alone is the most common change on a shared gateway, and it touches a few
// hostnames of a few sockets. UpdateRoutes gives the model a build would give for it, starting
// from the last model: the changed routes are decided again, and of what weighs routes against
// each other only the hostnames they claim are weighed again. Which routes claim a hostname of a
// socket is kept by hostname, in the order the build places routes in (older first), so a change
// costs its own hostnames, not the socket's.
//
// TestBuilderEqualsBuild checks, after random sequences of changes, that the model UpdateRoutes
// gives is Build's.

// RouteChange is a TLSRoute created, changed or deleted since the Builder's last model.
type RouteChange struct {
	Namespace, Name string
	// Route is the route as it is now; nil when it is gone.
	Route *gatewayv1.TLSRoute
}

// lastBuild is what the last build left for UpdateRoutes: its model, what it read, and its
// Gateways and listeners as placed (the listeners' attachedRoutes counts included).
type lastBuild struct {
	model    *model.Model
	in       *index
	gateways map[types.NamespacedName]*gateway
	ordered  []*gateway
	// tls are the build's TLSRoutes in snapshot order, with their results.
	tls []placedRoute
	// policyUses are the BackendTLSPolicy targets each route uses; nil without policies.
	policyUses policyUses
	// claims is made from tls at the first UpdateRoutes, then kept up to date.
	claims *claimIndex
	// staleServers are the Services whose EndpointSlices changed since the build (see
	// ServersChanged): a result that read one has its servers resolved again when it is used.
	staleServers map[string]bool
	// named are the Services ("namespace/name") the build's routes name: a source reads those
	// with their EndpointSlices (snapshot.ReferencesOf), and may read other Services without
	// them (the per-Gateway Services' namespace), so only these can be looked up for a route.
	named map[string]bool
}

// placedRoute is a TLSRoute as the last model has it.
type placedRoute struct {
	key       routeKey
	created   time.Time
	result    *routeResult
	hasStatus bool
	// counted are the listeners whose attachedRoutes count the route, once per attachment; used
	// is set when its backend is in the data plane (it serves some hostname).
	counted []*listener
	used    bool
}

// claimIndex is, per socket of the TLS listeners, which routes claim each hostname, in the
// build's order: the first one serves it.
type claimIndex struct {
	gateways map[types.NamespacedName]*gateway
	sockets  map[*listener]*claimSocket
	routes   map[routeKey]*placedRoute
}

// claimSocket is one socket of a Gateway: its served listeners of every protocol (together they
// decide which listener a hostname selects) and the claims on the hostnames of its TLS listeners.
type claimSocket struct {
	gateway, address string
	port             int32
	listeners        []*listener
	claims           map[string][]claim
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

// placed records a route of the build under way for UpdateRoutes: the Services it names, and a
// TLSRoute's result.
func (b *Builder) placed(kind string, route metav1.Object, r *routeResult, hasStatus bool) {
	if b == nil {
		return
	}
	for _, ref := range backendRefsOf(route) {
		if snapshot.NamesService(ref) {
			b.named[serviceKey(route.GetNamespace(), ref)] = true
		}
	}
	if kind == kindTLSRoute {
		b.tls = append(b.tls, placedRoute{key: routeKey{kind, route.GetNamespace(), route.GetName()},
			created: route.GetCreationTimestamp().Time, result: r, hasStatus: hasStatus})
	}
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
	m := *last.model
	var changed []model.BackendID
	m.DataPlane, changed = ResolveServers(m.DataPlane, services, slicesByService)
	last.model = &m
	return m.DataPlane, changed, true
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
		if c.Route == nil {
			continue
		}
		r, ok := b.updatedResult(c.Route)
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
	note := func(s *claimSocket, h string) {
		if _, ok := served[hostOf{s, h}]; !ok {
			served[hostOf{s, h}] = s.head(h)
		}
	}
	before := map[routeKey]settled{}
	dirty := map[routeKey]*placedRoute{}
	for i, c := range changes {
		key := routeKey{kindTLSRoute, c.Namespace, c.Name}
		if p := idx.routes[key]; p != nil {
			before[key] = p.settled()
			idx.eachClaim(p, func(s *claimSocket, h string, _ claim) {
				note(s, h)
				if s.claims[h] = slices.DeleteFunc(s.claims[h], func(x claim) bool { return x.route == p }); len(s.claims[h]) == 0 {
					delete(s.claims, h)
				}
			})
			delete(idx.routes, key)
			delete(b.routes, key)
		} else {
			before[key] = settled{}
		}
		dirty[key] = nil
		if c.Route == nil {
			continue
		}
		p := &placedRoute{key: key, created: c.Route.CreationTimestamp.Time, result: results[i],
			hasStatus: results[i].hasStatus(c.Route.Status.Parents, b.opts.ControllerName)}
		idx.routes[key], dirty[key] = p, p
		b.routes[key] = &cachedRoute{uid: c.Route.UID, generation: c.Route.Generation, seen: b.pass, result: p.result}
		b.Built++
		idx.eachClaim(p, func(s *claimSocket, h string, x claim) {
			note(s, h)
			at, _ := slices.BinarySearchFunc(s.claims[h], x, compareClaims)
			s.claims[h] = slices.Insert(s.claims[h], at, x)
		})
	}
	// Where another route serves a hostname now, every claimant's verdict changes: it names the
	// route that serves it.
	for host, was := range served {
		if host.socket.head(host.hostname) == was {
			continue
		}
		for _, x := range host.socket.claims[host.hostname] {
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
		if was.used {
			patch.removeBackend(model.BackendID{Kind: kindTLSRoute, Namespace: key.namespace, Name: key.name})
		}
		if p == nil {
			if was.hasStatus {
				patch.setStatus(key, nil)
			}
			continue
		}
		b.refreshServers(p)
		var status model.Route
		p.counted, p.used, status = idx.settle(p)
		for _, l := range p.counted {
			l.attached++
		}
		if p.used {
			patch.addBackend(p.result.backends[0])
		}
		switch {
		case p.hasStatus:
			patch.setStatus(key, &status)
		case was.hasStatus:
			patch.setStatus(key, nil)
		}
	}
	for host := range served {
		patch.setSNI(host.socket, host.hostname)
	}
	m.Gateways = make([]model.Gateway, 0, len(last.ordered))
	for _, g := range last.ordered {
		m.Gateways = append(m.Gateways, gatewayStatus(g))
	}
	if last.policyUses != nil {
		// A policy's ancestors follow the routes using its Services, those changed and those
		// settled again alike.
		for _, c := range changes {
			key := routeKey{kindTLSRoute, c.Namespace, c.Name}
			delete(last.policyUses, key)
			if c.Route != nil {
				if targets := last.in.policies.usesOf(c.Namespace, backendRefsOf(c.Route), last.in); len(targets) > 0 {
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
	seen := make(map[types.NamespacedName]bool, len(changes))
	out := make([]RouteChange, 0, len(changes))
	for i := len(changes) - 1; i >= 0; i-- {
		key := types.NamespacedName{Namespace: changes[i].Namespace, Name: changes[i].Name}
		if !seen[key] {
			seen[key] = true
			out = append(out, changes[i])
		}
	}
	return out
}

// updatedResult is a changed TLSRoute's result: the one kept when its spec is the same, or one
// made anew. False when it names a Service the last build did not read: whether that exists is
// not known here.
func (b *Builder) updatedResult(route *gatewayv1.TLSRoute) (*routeResult, bool) {
	key := routeKey{kindTLSRoute, route.Namespace, route.Name}
	if c := b.routes[key]; c != nil && c.uid == route.UID && c.generation == route.Generation {
		return c.result, true
	}
	if route.ResourceVersion == "" {
		return nil, false
	}
	for _, ref := range backendRefsOf(route) {
		if !snapshot.NamesService(ref) {
			continue
		}
		if !b.last.named[serviceKey(route.Namespace, ref)] {
			return nil, false
		}
	}
	r := tlsRoute(route, b.last.gateways, b.last.in, b.opts)
	r.services = serviceKeys(route.Namespace, backendRefsOf(route))
	return r, true
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
	counted   []*listener
	used      bool
	hasStatus bool
}

func (p *placedRoute) settled() settled {
	return settled{counted: p.counted, used: p.used, hasStatus: p.hasStatus}
}

type hostOf struct {
	socket   *claimSocket
	hostname string
}

// head is the route that serves hostname on the socket, nil when none.
func (s *claimSocket) head(hostname string) *placedRoute {
	if list := s.claims[hostname]; len(list) > 0 {
		return list[0].route
	}
	return nil
}

// newClaimIndex lays the last build's TLSRoutes onto its sockets, as dataPlane does.
func (last *lastBuild) newClaimIndex() *claimIndex {
	idx := &claimIndex{gateways: last.gateways, sockets: map[*listener]*claimSocket{},
		routes: make(map[routeKey]*placedRoute, len(last.tls))}
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
				s = &claimSocket{gateway: g.key(), address: g.placement.bindAddress, port: port, claims: map[string][]claim{}}
				byPort[port] = s
			}
			s.listeners = append(s.listeners, l)
			if l.spec.Protocol == gatewayv1.TLSProtocolType {
				idx.sockets[l] = s
			}
		}
	}
	for i := range last.tls {
		p := &last.tls[i]
		idx.routes[p.key] = p
		idx.eachClaim(p, func(s *claimSocket, h string, x claim) { s.claims[h] = append(s.claims[h], x) })
	}
	for _, s := range idx.sockets {
		for _, list := range s.claims {
			slices.SortFunc(list, compareClaims)
		}
	}
	for i := range last.tls {
		p := &last.tls[i]
		p.counted, p.used, _ = idx.settle(p)
	}
	return idx
}

// eachClaim calls fn for each hostname the route claims: on each listener it is bound to that
// has a socket, the hostnames that select that listener.
func (idx *claimIndex) eachClaim(p *placedRoute, fn func(*claimSocket, string, claim)) {
	for i, bound := range p.result.bound {
		for j, bl := range bound {
			l := idx.gateways[bl.gateway].listeners[bl.listener]
			s := idx.sockets[l]
			if s == nil {
				continue
			}
			for k, h := range bl.hostnames {
				if selectListener(s.listeners, h) == l {
					fn(s, h, claim{route: p, parent: i, bound: j, listener: l, specificity: bl.specificity[k]})
				}
			}
		}
	}
}

// settle decides, as dataPlane does, what became of the route's hostnames: the listeners that
// count it, whether its backend is used, and its status.
func (idx *claimIndex) settle(p *placedRoute) (counted []*listener, used bool, status model.Route) {
	r := p.result
	pending := pendingRoute{status: r.status, verdicts: make([]*verdict, len(r.bound))}
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
				if head := s.claims[h][0]; head.route != p || head.parent != i || head.bound != j {
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
}

// setStatus sets (or with nil removes) a TLSRoute's status among the model's routes, where
// TLSRoutes come first, in snapshot order.
func (p *modelPatch) setStatus(key routeKey, status *model.Route) {
	if !p.routesCopied {
		p.m.Routes, p.routesCopied = cloneWithRoom(p.m.Routes), true
	}
	tls := sort.Search(len(p.m.Routes), func(i int) bool { return p.m.Routes[i].Kind != kindTLSRoute })
	i, found := slices.BinarySearchFunc(p.m.Routes[:tls], key, func(r model.Route, k routeKey) int {
		return cmp.Or(cmp.Compare(r.Namespace, k.namespace), cmp.Compare(r.Name, k.name))
	})
	switch {
	case status == nil && found:
		p.m.Routes = slices.Delete(p.m.Routes, i, i+1)
	case status == nil:
	case found:
		p.m.Routes[i] = *status
	default:
		p.m.Routes = slices.Insert(p.m.Routes, i, *status)
	}
}

func (p *modelPatch) backends() []model.Backend {
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

func (p *modelPatch) addBackend(b model.Backend) {
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

func compareBackendTo(b model.Backend, id model.BackendID) int {
	return model.CompareBackendIDs(b.ID, id)
}

// setSNI makes a hostname's entry in the socket's SNI routes name the route that serves it now,
// or removes it.
func (p *modelPatch) setSNI(s *claimSocket, hostname string) {
	at := slices.IndexFunc(p.m.DataPlane.Sockets, func(x model.Socket) bool {
		return x.Gateway == s.gateway && x.Address == s.address && x.Port == s.port
	})
	if at < 0 {
		return
	}
	if !p.socketsCopied {
		p.m.DataPlane.Sockets, p.socketsCopied = slices.Clone(p.m.DataPlane.Sockets), true
		p.passthroughCopied, p.terminateCopied = map[int]bool{}, map[int]bool{}
	}
	sock := &p.m.DataPlane.Sockets[at]
	for _, list := range []struct {
		routes *[]model.SNIRoute
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
	*routes = slices.Insert(*routes, i, model.SNIRoute{Hostname: hostname, Backend: list[0].route.result.what.backend})
}

func compareSNIToHost(r model.SNIRoute, hostname string) int {
	return strings.Compare(r.Hostname, hostname)
}
