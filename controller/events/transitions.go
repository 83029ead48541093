package events

import (
	"cmp"
	"fmt"
	"iter"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Transitions remembers which conditions of the last published status were failures, by key, so
// that a failure is reported once when it starts, not on every retry or rebuild that finds it
// again. Only failures are kept: at 10,000 healthy routes it holds nothing. The zero value is
// ready; it is not safe for concurrent use.
type Transitions struct {
	// gatewaysFailing are the failing conditions of Gateways and their listeners: a few objects,
	// looked at every time.
	gatewaysFailing map[conditionKey]string // reason
	// routesFailing are those of routes. Only routes whose status changed since the last call are
	// looked at (routes are the bulk of a model), so these are kept from call to call.
	routesFailing map[conditionKey]string
	// routes are the routes of the last call's model: never changed in place.
	routes []*model.Route
}

// conditionKey names one condition of one object: for routes, of one parent entry; for
// listeners, of one listener. Plain comparable fields, so a lookup allocates nothing.
type conditionKey struct {
	kind, namespace, name string
	// parent is the route's parentRef (namespace, name, section, port); listener is the
	// listener's name. Empty for a Gateway's own conditions.
	parentNamespace, parentName, section string
	port                                 int32
	listener                             string
	condition                            string
}

// watched are the conditions whose failure gets an Event, with the status that means failure.
var (
	gatewayWatched = map[string]metav1.ConditionStatus{
		string(gatewayv1.GatewayConditionAccepted):   metav1.ConditionFalse,
		string(gatewayv1.GatewayConditionProgrammed): metav1.ConditionFalse,
	}
	listenerWatched = map[string]metav1.ConditionStatus{
		string(gatewayv1.ListenerConditionAccepted):     metav1.ConditionFalse,
		string(gatewayv1.ListenerConditionResolvedRefs): metav1.ConditionFalse,
		string(gatewayv1.ListenerConditionProgrammed):   metav1.ConditionFalse,
		string(gatewayv1.ListenerConditionConflicted):   metav1.ConditionTrue,
	}
	routeWatched = map[string]metav1.ConditionStatus{
		string(gatewayv1.RouteConditionAccepted):     metav1.ConditionFalse,
		string(gatewayv1.RouteConditionResolvedRefs): metav1.ConditionFalse,
	}
)

// Observe takes the status about to be published and returns the Events of what changed since
// the last call: a Warning for each watched condition that became a failure (or failed for a new
// reason), a Normal one for each that stopped failing while its object stayed. A failure whose
// object is gone is forgotten without an Event. The first call reports every failure it sees.
//
// A route whose status is the list of the last call (the build reused its result, and never
// changes one in place) is not looked at: a pass over 10,000 routes that changed one looks at one.
func (t *Transitions) Observe(m *model.Model) []Event {
	var out []Event
	failing := map[conditionKey]string{}
	for _, g := range m.Gateways {
		obj := Object{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}
		key := conditionKey{kind: obj.Kind, namespace: g.Namespace, name: g.Name}
		for _, c := range g.Conditions {
			out = see(out, t.gatewaysFailing, failing, key, gatewayWatched, c, obj)
		}
		for _, l := range g.Listeners {
			lkey := key
			lkey.listener = string(l.Name)
			for _, c := range l.Conditions {
				out = see(out, t.gatewaysFailing, failing, lkey, listenerWatched, c, obj)
			}
		}
	}
	t.gatewaysFailing = failing
	if t.routesFailing == nil {
		t.routesFailing = map[conditionKey]string{}
	}
	model.WalkSorted(t.routes, m.Routes, compareRoutes, func(x, y **model.Route) {
		var before, now *model.Route
		if x != nil {
			before = *x
		}
		if y != nil {
			now = *y
		}
		if before != nil && now != nil && (before == now || model.SameSlice(before.Parents, now.Parents)) {
			return
		}
		// What this route's parents failed with before, taken out: what still fails goes back.
		var was map[conditionKey]string
		if before != nil && len(t.routesFailing) > 0 {
			for key := range routeConditionKeys(*before) {
				if reason, ok := t.routesFailing[key]; ok {
					if was == nil {
						was = map[conditionKey]string{}
					}
					was[key] = reason
					delete(t.routesFailing, key)
				}
			}
		}
		if now == nil {
			return
		}
		obj := Object{Kind: now.Kind, Namespace: now.Namespace, Name: now.Name}
		for key, c := range routeConditions(*now) {
			out = see(out, was, t.routesFailing, key, routeWatched, c, obj)
		}
	})
	t.routes = m.Routes
	return out
}

// see adds the Event of one condition's transition to out: before holds the failures of the last
// call, failing takes this one's.
func see(out []Event, before, failing map[conditionKey]string, key conditionKey, watched map[string]metav1.ConditionStatus, c metav1.Condition, obj Object) []Event {
	bad, ok := watched[c.Type]
	if !ok {
		return out
	}
	if c.Status != bad && len(before) == 0 {
		// Nothing failed before: a condition that does not fail is no news. With thousands of
		// healthy routes this is every condition, and no key is looked up.
		return out
	}
	key.condition = c.Type
	reason, wasFailing := before[key]
	if c.Status != bad {
		if wasFailing {
			out = append(out, Event{Object: obj, Type: Normal, Reason: c.Reason, Action: action(c.Type),
				Note: truncate(fmt.Sprintf("%s%s is %s again: %s", key.where(), c.Type, c.Status, c.Message), maxNote)})
		}
		return out
	}
	failing[key] = c.Reason
	if wasFailing && reason == c.Reason {
		return out
	}
	return append(out, Event{Object: obj, Type: Warning, Reason: c.Reason, Action: action(c.Type),
		Note: truncate(fmt.Sprintf("%s%s is %s: %s", key.where(), c.Type, c.Status, c.Message), maxNote)})
}

// compareRoutes orders routes as a model lists them (model.RouteKindOrder). Two entries with one
// status list are one route, found without comparing names.
func compareRoutes(x, y *model.Route) int {
	if x == y || model.SameSlice(x.Parents, y.Parents) && len(x.Parents) > 0 {
		return 0
	}
	return cmp.Or(cmp.Compare(model.RouteKindOrder(x.Kind), model.RouteKindOrder(y.Kind)),
		cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name))
}

// routeConditions yields each condition of a route with its key, but for the condition's type.
func routeConditions(r model.Route) iter.Seq2[conditionKey, metav1.Condition] {
	return func(yield func(conditionKey, metav1.Condition) bool) {
		for _, p := range r.Parents {
			key := conditionKey{kind: r.Kind, namespace: r.Namespace, name: r.Name, parentName: string(p.ParentRef.Name)}
			key.parentNamespace = r.Namespace
			if p.ParentRef.Namespace != nil {
				key.parentNamespace = string(*p.ParentRef.Namespace)
			}
			if p.ParentRef.SectionName != nil {
				key.section = string(*p.ParentRef.SectionName)
			}
			if p.ParentRef.Port != nil {
				key.port = int32(*p.ParentRef.Port)
			}
			for _, c := range p.Conditions {
				if !yield(key, c) {
					return
				}
			}
		}
	}
}

// routeConditionKeys yields the key of every watched condition of a route.
func routeConditionKeys(r model.Route) iter.Seq[conditionKey] {
	return func(yield func(conditionKey) bool) {
		for key, c := range routeConditions(r) {
			if _, ok := routeWatched[c.Type]; ok {
				key.condition = c.Type
				if !yield(key) {
					return
				}
			}
		}
	}
}

// where says which part of the object a condition belongs to, as the start of a note; built only
// for an Event, never for every condition of a pass.
func (k conditionKey) where() string {
	switch {
	case k.listener != "":
		return "listener " + k.listener + ": "
	case k.parentName != "":
		out := "parent Gateway " + k.parentNamespace + "/" + k.parentName
		if k.section != "" {
			out += " listener " + k.section
		}
		if k.port != 0 {
			out += fmt.Sprintf(" port %d", k.port)
		}
		return out + ": "
	}
	return ""
}

func action(conditionType string) string {
	if conditionType == "Programmed" {
		return "Program"
	}
	return "Validate"
}
