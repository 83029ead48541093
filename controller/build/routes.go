package build

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// attachment is a route bound to one listener, with the hostnames it serves there: a TLSRoute's
// backend, or an HTTPRoute's rules.
type attachment struct {
	route     metav1.Object
	hostnames []string
	backend   model.BackendID
	rules     []model.HTTPRule
	// verdict collects what became of the hostnames, shared by the attachments of one parentRef.
	verdict *verdict
}

// pendingRoute is a route's status before the data plane is laid out: each parent's Accepted
// condition may still change once its verdict says which hostnames the route really serves.
type pendingRoute struct {
	status   model.Route
	verdicts []*verdict
}

// tlsRoutes attaches every TLSRoute to the listeners of managed Gateways and builds its backends.
func tlsRoutes(routes []gatewayv1.TLSRoute, gateways map[types.NamespacedName]*gateway, in *index, opts Options) ([]pendingRoute, []model.Backend) {
	statuses := make([]pendingRoute, 0, len(routes))
	backends := make([]model.Backend, 0, len(routes))
	for i := range routes {
		route := &routes[i]
		gen := route.Generation
		resolved := condition(string(gatewayv1.RouteConditionResolvedRefs), true, string(gatewayv1.RouteReasonResolvedRefs), "All references are resolved", gen)
		var ruleBackends []model.BackendID
		for r, rule := range route.Spec.Rules {
			id := model.BackendID{Kind: kindTLSRoute, Namespace: route.Namespace, Name: route.Name, Rule: r}
			b, problem := backend(id, rule.BackendRefs, in)
			if problem != nil && resolved.Status == metav1.ConditionTrue {
				resolved = condition(string(gatewayv1.RouteConditionResolvedRefs), false, string(problem.reason), problem.message, gen)
			}
			ruleBackends = append(ruleBackends, id)
			backends = append(backends, b)
		}
		backend := model.BackendID{}
		if len(ruleBackends) > 0 {
			backend = ruleBackends[0]
		}
		status, ok := routeStatus(kindTLSRoute, route, route.Spec.ParentRefs, route.Status.Parents, gateways, opts, resolved,
			func(ref gatewayv1.ParentReference, gw *gateway) (metav1.Condition, *verdict) {
				return attach(kindTLSRoute, route, route.Spec.Hostnames, attachment{route: route, backend: backend}, ref, gw, in)
			})
		if ok {
			statuses = append(statuses, status)
		}
	}
	return statuses, backends
}

// routeStatus is a route's status under each managed Gateway its parentRefs name, with the
// Accepted condition accept decides there; false when it has none to write or remove.
func routeStatus(kind string, route metav1.Object, refs []gatewayv1.ParentReference, current []gatewayv1.RouteParentStatus,
	gateways map[types.NamespacedName]*gateway, opts Options, resolved metav1.Condition,
	accept func(gatewayv1.ParentReference, *gateway) (metav1.Condition, *verdict)) (pendingRoute, bool) {
	p := pendingRoute{status: model.Route{Kind: kind, Namespace: route.GetNamespace(), Name: route.GetName()}}
	for _, ref := range refs {
		gw := gateways[parentGateway(ref, route.GetNamespace())]
		if gw == nil || !isGatewayRef(ref) {
			continue
		}
		accepted, v := accept(ref, gw)
		p.status.Parents = append(p.status.Parents, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: gatewayv1.GatewayController(opts.ControllerName),
			Conditions:     []metav1.Condition{accepted, resolved},
		})
		p.verdicts = append(p.verdicts, v)
	}
	return p, len(p.status.Parents) > 0 || hasStatusFrom(current, opts.ControllerName)
}

// reasonHostnameConflict is the Accepted=False reason of a route all of whose hostnames older
// routes of the same listener already serve. Gateway API names no reason for this.
const reasonHostnameConflict = "HostnameConflict"

// finish settles each parent's Accepted condition with its verdict: a route none of whose
// hostnames is served there is not accepted, and one that lost some says which, so that no route
// reports Accepted=True while another takes its traffic.
func (p pendingRoute) finish() model.Route {
	status := p.status
	for i, v := range p.verdicts {
		if v == nil || len(v.lost) == 0 {
			continue
		}
		accepted := &status.Parents[i].Conditions[0]
		if accepted.Status != metav1.ConditionTrue {
			continue
		}
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

// attach binds a route of a kind to the listeners a parentRef selects, each attachment a copy of
// what with the hostnames it serves there, and returns its Accepted condition. Reasons are checked
// from the widest to the narrowest, so the condition names the first filter that left no listener.
func attach(kind string, route metav1.Object, hostnames []gatewayv1.Hostname, what attachment, ref gatewayv1.ParentReference, gw *gateway, in *index) (metav1.Condition, *verdict) {
	what.verdict = &verdict{}
	accepted := attachListeners(kind, route, hostnames, what, ref, gw, in)
	return accepted, what.verdict
}

func attachListeners(kind string, route metav1.Object, hostnames []gatewayv1.Hostname, what attachment, ref gatewayv1.ParentReference, gw *gateway, in *index) metav1.Condition {
	gen := route.GetGeneration()
	if problem := objectProblem(route.GetNamespace(), route.GetName()); problem != "" {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), kind+" "+problem, gen)
	}
	if problem := hostnamesProblem(hostnames); problem != "" {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonUnsupportedValue), problem, gen)
	}
	var selected []*listener
	for _, l := range gw.listeners {
		if ref.SectionName != nil && *ref.SectionName != l.spec.Name {
			continue
		}
		if ref.Port != nil && *ref.Port != l.spec.Port {
			continue
		}
		selected = append(selected, l)
	}
	if len(selected) == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNoMatchingParent),
			fmt.Sprintf("Gateway %s has no listener matching %s", gw.key(), describeParentRef(ref)), gen)
	}
	var allowed []*listener
	for _, l := range selected {
		if l.accepted && l.allowsKind(kind) && l.allowsNamespace(route.GetNamespace(), in) {
			allowed = append(allowed, l)
		}
	}
	if len(allowed) == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNotAllowedByListeners),
			fmt.Sprintf("no listener matching the parentRef allows %ss from namespace %s", kind, route.GetNamespace()), gen)
	}
	matched := 0
	for _, l := range allowed {
		names := intersectHostnames(l.spec.Hostname, hostnames)
		if len(names) == 0 {
			continue
		}
		matched++
		l.attached++
		a := what
		a.hostnames = names
		gw.attachments[l] = append(gw.attachments[l], a)
	}
	if matched == 0 {
		return condition(string(gatewayv1.RouteConditionAccepted), false, string(gatewayv1.RouteReasonNoMatchingListenerHostname),
			"no hostname of the route matches a listener hostname", gen)
	}
	return condition(string(gatewayv1.RouteConditionAccepted), true, string(gatewayv1.RouteReasonAccepted), "Route is accepted", gen)
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
