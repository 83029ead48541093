package events

import (
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Transitions remembers which conditions of the last published status were failures, by key, so
// that a failure is reported once when it starts, not on every retry or rebuild that finds it
// again. Only failures are kept: at 10,000 healthy routes it holds nothing. The zero value is
// ready; it is not safe for concurrent use.
type Transitions struct {
	failing map[conditionKey]string // reason
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
func (t *Transitions) Observe(m *model.Model) []Event {
	var out []Event
	failing := map[conditionKey]string{}
	see := func(key conditionKey, watched map[string]metav1.ConditionStatus, c metav1.Condition, obj Object) {
		bad, ok := watched[c.Type]
		if !ok {
			return
		}
		if c.Status != bad && len(t.failing) == 0 {
			// Nothing failed before: a condition that does not fail is no news. With thousands of
			// healthy routes this is every condition, and no key is looked up.
			return
		}
		key.condition = c.Type
		before, wasFailing := t.failing[key]
		if c.Status != bad {
			if wasFailing {
				out = append(out, Event{Object: obj, Type: Normal, Reason: c.Reason, Action: action(c.Type),
					Note: truncate(fmt.Sprintf("%s%s is %s again: %s", key.where(), c.Type, c.Status, c.Message), maxNote)})
			}
			return
		}
		failing[key] = c.Reason
		if wasFailing && before == c.Reason {
			return
		}
		out = append(out, Event{Object: obj, Type: Warning, Reason: c.Reason, Action: action(c.Type),
			Note: truncate(fmt.Sprintf("%s%s is %s: %s", key.where(), c.Type, c.Status, c.Message), maxNote)})
	}
	for _, g := range m.Gateways {
		obj := Object{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}
		key := conditionKey{kind: obj.Kind, namespace: g.Namespace, name: g.Name}
		for _, c := range g.Conditions {
			see(key, gatewayWatched, c, obj)
		}
		for _, l := range g.Listeners {
			lkey := key
			lkey.listener = string(l.Name)
			for _, c := range l.Conditions {
				see(lkey, listenerWatched, c, obj)
			}
		}
	}
	for _, r := range m.Routes {
		obj := Object{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
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
				see(key, routeWatched, c, obj)
			}
		}
	}
	t.failing = failing
	return out
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
