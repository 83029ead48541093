package status

import (
	"net/netip"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// mergeConditions sets the desired conditions on top of the existing ones, as the Gateway API asks
// of every writer: a condition of a type not in desired belongs to someone else and is kept in
// place; same-type conditions are replaced in place; new types are appended. Order is otherwise
// never changed, so two writers sharing a list do not fight over it.
func mergeConditions(old, desired []metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(old)+len(desired))
	used := make([]bool, len(desired))
	for _, o := range old {
		i := slices.IndexFunc(desired, func(d metav1.Condition) bool { return d.Type == o.Type })
		if i < 0 {
			out = append(out, o)
			continue
		}
		used[i] = true
		out = append(out, mergeCondition(o, desired[i], now))
	}
	for i, d := range desired {
		if !used[i] {
			d.LastTransitionTime = now
			out = append(out, d)
		}
	}
	return out
}

// mergeCondition gives desired the old transition time when its Status did not change, so the
// time says when the state was entered, not when it was last written.
func mergeCondition(old, desired metav1.Condition, now metav1.Time) metav1.Condition {
	// A newer generation already written means this model came from a stale snapshot; the spec
	// says not to overwrite it, and a later build will catch up.
	if old.ObservedGeneration > desired.ObservedGeneration {
		return old
	}
	if old.Status == desired.Status && !old.LastTransitionTime.IsZero() {
		desired.LastTransitionTime = old.LastTransitionTime
	} else {
		desired.LastTransitionTime = now
	}
	return desired
}

// mergeRouteParents replaces this controller's parent entries by the desired ones. Entries of
// other controllers stay untouched and in place; ours that the model no longer has are removed
// (the route left our Gateway); ours that match a desired parentRef keep their position; new ones
// are appended in the model's order.
func mergeRouteParents(old, desired []gatewayv1.RouteParentStatus, controllerName string, now metav1.Time) []gatewayv1.RouteParentStatus {
	return mergeEntries(old, desired, controllerName, now, func(e *gatewayv1.RouteParentStatus) entry {
		return entry{&e.ControllerName, &e.ParentRef, &e.Conditions}
	}, (*gatewayv1.RouteParentStatus).DeepCopy)
}

// mergeAncestors is mergeRouteParents for a policy's ancestor entries.
func mergeAncestors(old, desired []gatewayv1.PolicyAncestorStatus, controllerName string, now metav1.Time) []gatewayv1.PolicyAncestorStatus {
	return mergeEntries(old, desired, controllerName, now, func(e *gatewayv1.PolicyAncestorStatus) entry {
		return entry{&e.ControllerName, &e.AncestorRef, &e.Conditions}
	}, (*gatewayv1.PolicyAncestorStatus).DeepCopy)
}

// maxAncestors is how many ancestor entries a policy's status may hold (the CRD's MaxItems).
const maxAncestors = 16

// fitAncestors drops our last entries while the list is longer than the API server takes: other
// controllers' entries are theirs to keep, and a list too long would refuse the whole status.
func fitAncestors(list []gatewayv1.PolicyAncestorStatus, controllerName string) []gatewayv1.PolicyAncestorStatus {
	for i := len(list) - 1; i >= 0 && len(list) > maxAncestors; i-- {
		if string(list[i].ControllerName) == controllerName {
			list = slices.Delete(list, i, i+1)
		}
	}
	return list
}

// entry is the parts of a route parent or policy ancestor status a merge reads and sets.
type entry struct {
	controller *gatewayv1.GatewayController
	ref        *gatewayv1.ParentReference
	conditions *[]metav1.Condition
}

// mergeEntries is the merge of mergeRouteParents for any list of per-parent status entries.
func mergeEntries[T any](old, desired []T, controllerName string, now metav1.Time, parts func(*T) entry, deepCopy func(*T) *T) []T {
	out := make([]T, 0, len(old)+len(desired))
	used := make([]bool, len(desired))
	for i := range old {
		o := parts(&old[i])
		if string(*o.controller) != controllerName {
			out = append(out, old[i])
			continue
		}
		j := slices.IndexFunc(desired, func(d T) bool { return parentRefEqual(*parts(&d).ref, *o.ref) })
		if j < 0 || used[j] {
			continue
		}
		used[j] = true
		d := deepCopy(&desired[j])
		p := parts(d)
		// The stored ref has the API server's defaults; taking the model's undefaulted one would
		// look like a change on every write and cost a no-op update each time.
		*p.ref = *o.ref.DeepCopy()
		*p.conditions = mergeConditions(*o.conditions, *p.conditions, now)
		out = append(out, *d)
	}
	for j := range desired {
		if !used[j] {
			d := deepCopy(&desired[j])
			p := parts(d)
			*p.conditions = mergeConditions(nil, *p.conditions, now)
			out = append(out, *d)
		}
	}
	return out
}

// parentRefEqual compares parent references with the API server's defaults (group and kind of a
// Gateway) filled in, since a reference read back from the API has them and the model's may not.
func parentRefEqual(a, b gatewayv1.ParentReference) bool {
	return equality.Semantic.DeepEqual(defaultParentRef(a), defaultParentRef(b))
}

func defaultParentRef(r gatewayv1.ParentReference) gatewayv1.ParentReference {
	if r.Group == nil {
		r.Group = ptr.To(gatewayv1.Group(gatewayv1.GroupName))
	}
	if r.Kind == nil {
		r.Kind = ptr.To(gatewayv1.Kind("Gateway"))
	}
	return r
}

// mergeGatewayStatus returns old with the model's addresses, conditions and listeners. Fields the
// model does not decide (attachedListenerSets) are kept.
func mergeGatewayStatus(old gatewayv1.GatewayStatus, desired model.Gateway, now metav1.Time) gatewayv1.GatewayStatus {
	out := *old.DeepCopy()
	out.Addresses = nil
	for _, a := range desired.Addresses {
		addressType := gatewayv1.IPAddressType
		if _, err := netip.ParseAddr(a); err != nil {
			// A load balancer may publish a DNS name instead of an address.
			addressType = gatewayv1.HostnameAddressType
		}
		out.Addresses = append(out.Addresses, gatewayv1.GatewayStatusAddress{Type: ptr.To(addressType), Value: a})
	}
	// The Gateway conditions the model sets only at times are this controller's alone: one the
	// model no longer has goes (the spec asks so of InsecureFrontendValidationMode).
	previous := slices.DeleteFunc(slices.Clone(old.Conditions), func(c metav1.Condition) bool {
		return slices.Contains(occasionalGatewayConditions, c.Type) && !slices.ContainsFunc(desired.Conditions, func(d metav1.Condition) bool { return d.Type == c.Type })
	})
	out.Conditions = mergeConditions(previous, desired.Conditions, now)
	out.Listeners = mergeListeners(old.Listeners, desired.Listeners, now)
	return out
}

// occasionalGatewayConditions are the Gateway conditions a model has only at times: while a
// listener takes clients without a valid certificate, and while spec.tls.backend names a client
// certificate.
var occasionalGatewayConditions = []string{string(gatewayv1.GatewayConditionInsecureFrontendValidationMode), string(gatewayv1.GatewayConditionResolvedRefs)}

// mergeListeners returns the model's listeners (the Gateway's listeners are ours alone), each
// keeping the transition times of the old listener of the same name.
func mergeListeners(old, desired []gatewayv1.ListenerStatus, now metav1.Time) []gatewayv1.ListenerStatus {
	var out []gatewayv1.ListenerStatus
	for _, d := range desired {
		l := *d.DeepCopy()
		var previous []metav1.Condition
		if i := slices.IndexFunc(old, func(o gatewayv1.ListenerStatus) bool { return o.Name == d.Name }); i >= 0 {
			previous = old[i].Conditions
		}
		l.Conditions = mergeConditions(previous, l.Conditions, now)
		out = append(out, l)
	}
	return out
}
