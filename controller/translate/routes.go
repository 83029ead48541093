package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// attachment is a route bound to one listener, with the hostnames it serves there: a TLSRoute's
// backend, or an HTTPRoute's or GRPCRoute's rules.
type attachment struct {
	kind      string
	route     metav1.Object
	hostnames []string
	// specificity is the route's claim on each of hostnames (boundListener.specificity).
	specificity []int
	backend     model.BackendID
	// sni are a TLSRoute's SNI routes, one per hostname (boundListener.sni).
	sni   []*model.SNIRoute
	rules []model.HTTPRule
	// backends is where the route's backends start in the build's list of all backends, one per
	// rule in rule order; -1 when it has none.
	backends int
	// verdict collects what became of the hostnames, shared by the attachments of one parentRef.
	verdict *verdict
}

// use marks the backend of one of the route's rules as used.
func (a *attachment) use(used []bool, rule int) {
	if a.backends >= 0 {
		used[a.backends+rule] = true
	}
}

// pendingRoute is a route's status before the data plane is laid out: each parent's Accepted
// condition may still change once its verdict says which hostnames the route really serves.
type pendingRoute struct {
	// status is the route result's own, which the build keeps for the next one: never changed.
	status   *model.Route
	verdicts []*verdict
}

// routeResult is what a build decides for one route on its own, before the other routes are
// placed: its backends, its status with the Accepted condition each parentRef got, and the
// listeners it attaches to there. It is a function of the route and of what it reads (the
// managed Gateways and their listeners, grants, namespaces, and the Services of its backendRefs),
// so a Builder reuses it while those are unchanged. Nothing may change a result once made.
type routeResult struct {
	backends []*model.Backend
	status   model.Route
	kind     string
	// rules are an HTTPRoute's or GRPCRoute's rules; a TLSRoute's backend is that of its first
	// rule (backend).
	rules []model.HTTPRule
	// bound lines up with status.Parents: the listeners each parentRef attached to.
	bound [][]boundListener
	// services are the Services ("namespace/name") the backends read, to tell whether the result
	// still holds.
	services []string
}

// boundListener is one listener a parentRef attached a route to, with the hostnames it serves there.
type boundListener struct {
	gateway   types.NamespacedName
	listener  int
	hostnames []string
	// specificity is, for each of hostnames, how precisely the route's own hostnames name it: a
	// more specific claim on a hostname wins over an older one (see hostnameSpecificity).
	specificity []int
	// sni are a TLSRoute's SNI routes for hostnames, made with its result: the data planes of one
	// build after another share them rather than hold a copy each.
	sni []*model.SNIRoute
}

// place binds a route's result to this build's listeners and returns its pending status;
// backends is where its backends start in the build's list of all backends.
func (r *routeResult) place(route metav1.Object, backends int, gateways map[types.NamespacedName]*gateway) pendingRoute {
	if len(r.backends) == 0 {
		backends = -1
	}
	p := pendingRoute{status: &r.status, verdicts: make([]*verdict, len(r.bound))}
	for i, bound := range r.bound {
		v := &verdict{}
		p.verdicts[i] = v
		for _, b := range bound {
			gw := gateways[b.gateway]
			l := gw.listeners[b.listener]
			l.attached++
			gw.attachments[l] = append(gw.attachments[l], attachment{kind: r.kind, route: route, hostnames: b.hostnames,
				specificity: b.specificity, backend: r.backend(), sni: b.sni, rules: r.rules, backends: backends, verdict: v})
		}
	}
	return p
}

// tlsRoute decides a TLSRoute on its own: its backends, and the listeners it attaches to.
func tlsRoute(route *gatewayv1.TLSRoute, gateways map[types.NamespacedName]*gateway, in *index, opts Options) *routeResult {
	gen := route.Generation
	resolved := condition(string(gatewayv1.RouteConditionResolvedRefs), true, string(gatewayv1.RouteReasonResolvedRefs), "All references are resolved", gen)
	r := &routeResult{backends: make([]*model.Backend, 0, len(route.Spec.Rules))}
	r.kind = kindTLSRoute
	for i, rule := range route.Spec.Rules {
		id := model.BackendID{Kind: kindTLSRoute, Namespace: route.Namespace, Name: route.Name, Rule: i}
		b, problem := backend(id, rule.BackendRefs, in)
		r.addBackend(b, problem, &resolved, gen)
	}
	r.routeStatus(kindTLSRoute, route, route.Spec.ParentRefs, gateways, in, opts, resolved,
		func(ref gatewayv1.ParentReference, gw *gateway) (metav1.Condition, []boundListener) {
			return attachListeners(kindTLSRoute, route, route.Spec.Hostnames, ref, gw, in)
		})
	r.passthroughPlain(gateways, in)
	r.presentClientCertificate(gateways, in)
	r.makeSNIRoutes()
	return r
}

// backend is the backend a TLSRoute's hostnames go to: its first rule's; none for a route without
// rules or of another kind.
func (r *routeResult) backend() model.BackendID {
	if r.kind != kindTLSRoute || len(r.backends) == 0 {
		return model.BackendID{}
	}
	return r.backends[0].ID
}

// makeSNIRoutes gives each hostname a TLSRoute serves on a listener its SNI route to the route's
// backend, in one allocation.
func (r *routeResult) makeSNIRoutes() {
	n := 0
	for _, bound := range r.bound {
		for _, b := range bound {
			n += len(b.hostnames)
		}
	}
	routes := make([]model.SNIRoute, 0, n)
	for _, bound := range r.bound {
		for j := range bound {
			b := &bound[j]
			b.sni = make([]*model.SNIRoute, len(b.hostnames))
			for k, h := range b.hostnames {
				routes = append(routes, model.SNIRoute{Hostname: h, Backend: r.backend()})
				b.sni[k] = &routes[len(routes)-1]
			}
		}
	}
}

// passthroughPlain keeps BackendTLSPolicies off the backends of a route served through Passthrough
// listeners: their connections carry the client's own TLS, which re-encrypting would wrap twice.
// A route served through both Passthrough and Terminate listeners shares one backend between
// the two, which cannot both open TLS to a server and not: the Service ports a policy selects
// take no connections then, so terminated traffic never reaches them in plain text.
func (r *routeResult) passthroughPlain(gateways map[types.NamespacedName]*gateway, in *index) {
	passthrough, terminate := false, false
	for _, bound := range r.bound {
		for _, b := range bound {
			switch gateways[b.gateway].listeners[b.listener].mode() {
			case gatewayv1.TLSModePassthrough:
				passthrough = true
			case gatewayv1.TLSModeTerminate:
				terminate = true
			}
		}
	}
	if !passthrough {
		return
	}
	for i, b := range r.backends {
		if !slices.ContainsFunc(b.Refs, func(ref model.ServiceRef) bool { return ref.TLS != nil }) {
			continue
		}
		refs := make([]model.ServiceRef, 0, len(b.Refs))
		for _, ref := range b.Refs {
			if ref.TLS == nil {
				refs = append(refs, ref)
			} else if !terminate {
				ref.TLS = nil
				refs = append(refs, ref)
			}
		}
		r.backends[i] = withRefs(b, refs, in)
	}
}

// withRefs is a copy of b with refs for its Refs and its servers resolved again from them: backends
// are shared between results and models, so none is changed in place.
func withRefs(b *model.Backend, refs []model.ServiceRef, in *index) *model.Backend {
	out := *b
	out.Refs = refs
	out.Servers = BackendServers(&out, in.slicesByService)
	return &out
}

// addBackend adds a rule's backend; the first problem of any rule makes resolved False.
func (r *routeResult) addBackend(b model.Backend, problem *refProblem, resolved *metav1.Condition, gen int64) {
	if problem != nil && resolved.Status == metav1.ConditionTrue {
		*resolved = condition(string(gatewayv1.RouteConditionResolvedRefs), false, string(problem.reason), problem.message, gen)
	}
	r.backends = append(r.backends, &b)
}

// routeStatus sets a route's status under each managed Gateway its parentRefs name, with the
// Accepted condition accept decides there.
func (r *routeResult) routeStatus(kind string, route metav1.Object, refs []gatewayv1.ParentReference,
	gateways map[types.NamespacedName]*gateway, in *index, opts Options, resolved metav1.Condition,
	accept func(gatewayv1.ParentReference, *gateway) (metav1.Condition, []boundListener)) {
	r.status = model.Route{Kind: kind, Namespace: route.GetNamespace(), Name: route.GetName()}
	for _, ref := range refs {
		gw := gateways[parentGateway(ref, route.GetNamespace())]
		if gw == nil || !isGatewayRef(ref) {
			continue
		}
		accepted, bound := accept(ref, gw)
		r.status.Parents = append(r.status.Parents, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: gatewayv1.GatewayController(opts.ControllerName),
			Conditions:     in.routeConditions(accepted, resolved),
		})
		r.bound = append(r.bound, bound)
	}
}

// hasStatus reports whether the route has a status to write, or one of ours to remove: the status
// it has now is not an input of its result, since the controller writes it after every change.
func (r *routeResult) hasStatus(current []gatewayv1.RouteParentStatus, controllerName string) bool {
	return len(r.status.Parents) > 0 || hasStatusFrom(current, controllerName)
}

// reasonHostnameConflict is the Accepted=False reason of a route all of whose hostnames other
// routes of the same listener serve: older ones, ones that name them more precisely, or, between
// HTTPRoutes and GRPCRoutes, older ones of the other kind. Gateway API names no reason for this.
const reasonHostnameConflict = "HostnameConflict"

// finish settles each parent's Accepted condition with its verdict: a route none of whose
// hostnames is served there is not accepted, and one that lost some says which, so that no route
// reports Accepted=True while another takes its traffic.
func (p pendingRoute) finish() *model.Route {
	status := p.status
	cloned := false
	for i, v := range p.verdicts {
		if v == nil || len(v.lost) == 0 || status.Parents[i].Conditions[0].Status != metav1.ConditionTrue {
			continue
		}
		// The result's status is kept for the next build, and a route whose verdicts change
		// nothing shares it with the model: change a copy.
		if !cloned {
			changed := *status
			changed.Parents, status, cloned = slices.Clone(status.Parents), &changed, true
		}
		status.Parents[i].Conditions = slices.Clone(status.Parents[i].Conditions)
		accepted := &status.Parents[i].Conditions[0]
		lost := strings.Join(v.lost, "; ")
		switch {
		case v.served > 0:
			accepted.Message = "Route is accepted; not served: " + lost
		case v.conflicted:
			accepted.Status, accepted.Reason, accepted.Message = metav1.ConditionFalse, reasonHostnameConflict, lost
		default:
			accepted.Status, accepted.Reason, accepted.Message = metav1.ConditionFalse, string(gatewayv1.RouteReasonNoMatchingListenerHostname), lost
		}
	}
	return status
}

// attachListeners selects the listeners a parentRef attaches a route of a kind to, each with the
// hostnames the route serves there, and returns its Accepted condition. Reasons are checked from
// the widest to the narrowest, so the condition names the first filter that left no listener.
func attachListeners(kind string, route metav1.Object, hostnames []gatewayv1.Hostname, ref gatewayv1.ParentReference, gw *gateway, in *index) (metav1.Condition, []boundListener) {
	gen := route.GetGeneration()
	if problem := objectProblem(route.GetNamespace(), route.GetName()); problem != "" {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), kind+" "+problem, gen), nil
	}
	if problem := hostnamesProblem(hostnames); problem != "" {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), problem, gen), nil
	}
	var selected []int
	for i, l := range gw.listeners {
		if ref.SectionName != nil && *ref.SectionName != l.spec.Name {
			continue
		}
		if ref.Port != nil && *ref.Port != l.spec.Port {
			continue
		}
		selected = append(selected, i)
	}
	if len(selected) == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNoMatchingParent),
			fmt.Sprintf("Gateway %s has no listener matching %s", gw.key(), describeParentRef(ref)), gen), nil
	}
	var allowed []int
	for _, i := range selected {
		if l := gw.listeners[i]; l.accepted && l.allowsKind(kind) && l.allowsNamespace(route.GetNamespace(), in) {
			allowed = append(allowed, i)
		}
	}
	if len(allowed) == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNotAllowedByListeners),
			fmt.Sprintf("no listener matching the parentRef allows %ss from namespace %s", kind, route.GetNamespace()), gen), nil
	}
	var bound []boundListener
	for _, i := range allowed {
		names := intersectHostnames(gw.listeners[i].spec.Hostname, hostnames)
		if len(names) == 0 {
			continue
		}
		bound = append(bound, boundListener{gateway: types.NamespacedName{Namespace: gw.spec.Namespace, Name: gw.spec.Name}, listener: i,
			hostnames: names, specificity: hostnameSpecificity(hostnames, names)})
	}
	if len(bound) == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNoMatchingListenerHostname),
			"no hostname of the route matches a listener hostname", gen), nil
	}
	return condition(string(gatewayv1.RouteConditionAccepted), true, string(gatewayv1.RouteReasonAccepted), "Route is accepted", gen), bound
}

func isGatewayRef(ref gatewayv1.ParentReference) bool {
	return (ref.Group == nil || *ref.Group == gatewayv1.GroupName) && (ref.Kind == nil || *ref.Kind == "Gateway")
}

func parentGateway(ref gatewayv1.ParentReference, routeNamespace string) types.NamespacedName {
	namespace := routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	return types.NamespacedName{Namespace: namespace, Name: string(ref.Name)}
}

func describeParentRef(ref gatewayv1.ParentReference) string {
	var parts []string
	if ref.SectionName != nil {
		parts = append(parts, "sectionName "+string(*ref.SectionName))
	}
	if ref.Port != nil {
		parts = append(parts, fmt.Sprintf("port %d", *ref.Port))
	}
	if len(parts) == 0 {
		return "the parentRef"
	}
	return strings.Join(parts, " and ")
}

func hasStatusFrom(parents []gatewayv1.RouteParentStatus, controllerName string) bool {
	for _, p := range parents {
		if string(p.ControllerName) == controllerName {
			return true
		}
	}
	return false
}
