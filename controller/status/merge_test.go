package status

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var (
	t0  = metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	now = metav1.NewTime(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
)

// cond builds a condition; at is its LastTransitionTime (zero for model conditions).
func cond(conditionType string, status metav1.ConditionStatus, reason string, generation int64, at metav1.Time) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: reason + " message", ObservedGeneration: generation, LastTransitionTime: at}
}

func TestMergeConditions(t *testing.T) {
	const yes, no = metav1.ConditionTrue, metav1.ConditionFalse
	var zero metav1.Time
	tests := []struct {
		name      string
		old, want []metav1.Condition
		desired   []metav1.Condition
	}{{
		name:    "first write sets now",
		desired: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)},
		want:    []metav1.Condition{cond("Accepted", yes, "Accepted", 1, now)},
	}, {
		name:    "unchanged condition is returned as it was",
		old:     []metav1.Condition{cond("Accepted", yes, "Accepted", 1, t0)},
		desired: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)},
		want:    []metav1.Condition{cond("Accepted", yes, "Accepted", 1, t0)},
	}, {
		name:    "same status with a new reason and generation keeps the transition time",
		old:     []metav1.Condition{cond("Accepted", no, "Invalid", 1, t0)},
		desired: []metav1.Condition{cond("Accepted", no, "NotAllowed", 2, zero)},
		want:    []metav1.Condition{cond("Accepted", no, "NotAllowed", 2, t0)},
	}, {
		name:    "status change sets now",
		old:     []metav1.Condition{cond("Programmed", no, "Pending", 1, t0)},
		desired: []metav1.Condition{cond("Programmed", yes, "Programmed", 1, zero)},
		want:    []metav1.Condition{cond("Programmed", yes, "Programmed", 1, now)},
	}, {
		name:    "API server default Unknown is replaced",
		old:     []metav1.Condition{cond("Accepted", metav1.ConditionUnknown, "Pending", 0, t0)},
		desired: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)},
		want:    []metav1.Condition{cond("Accepted", yes, "Accepted", 1, now)},
	}, {
		name: "other types are kept in place and new types appended",
		old: []metav1.Condition{
			cond("example.com/Audited", yes, "Audited", 1, t0),
			cond("Accepted", yes, "Accepted", 1, t0),
		},
		desired: []metav1.Condition{cond("Programmed", yes, "Programmed", 1, zero), cond("Accepted", yes, "Accepted", 1, zero)},
		want: []metav1.Condition{
			cond("example.com/Audited", yes, "Audited", 1, t0),
			cond("Accepted", yes, "Accepted", 1, t0),
			cond("Programmed", yes, "Programmed", 1, now),
		},
	}, {
		name:    "a newer observed generation is not overwritten from a stale model",
		old:     []metav1.Condition{cond("Accepted", yes, "Accepted", 3, t0)},
		desired: []metav1.Condition{cond("Accepted", no, "Invalid", 2, zero)},
		want:    []metav1.Condition{cond("Accepted", yes, "Accepted", 3, t0)},
	}, {
		name:    "a missing transition time is filled even without a status change",
		old:     []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)},
		desired: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)},
		want:    []metav1.Condition{cond("Accepted", yes, "Accepted", 1, now)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeConditions(tt.old, tt.desired, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mergeConditions (-want +got):\n%s", diff)
			}
		})
	}
}

const ours, theirs = "example.net/haproxy-gateway", "example.org/other"

func parent(controller, gateway string, section string, conditions ...metav1.Condition) gatewayv1.RouteParentStatus {
	ref := gatewayv1.ParentReference{
		Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)),
		Kind:  ptr.To(gatewayv1.Kind("Gateway")),
		Name:  gatewayv1.ObjectName(gateway),
	}
	if section != "" {
		ref.SectionName = ptr.To(gatewayv1.SectionName(section))
	}
	return gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: gatewayv1.GatewayController(controller), Conditions: conditions}
}

func TestMergeRouteParents(t *testing.T) {
	const yes, no = metav1.ConditionTrue, metav1.ConditionFalse
	var zero metav1.Time
	acceptedOld := cond("Accepted", yes, "Accepted", 1, t0)
	accepted := cond("Accepted", yes, "Accepted", 1, zero)
	rejected := cond("Accepted", no, "NotAllowedByListeners", 1, zero)
	bare := parent(ours, "gw", "", accepted)
	bare.ParentRef.Group, bare.ParentRef.Kind = nil, nil

	tests := []struct {
		name         string
		old, desired []gatewayv1.RouteParentStatus
		want         []gatewayv1.RouteParentStatus
	}{{
		name:    "first write",
		desired: []gatewayv1.RouteParentStatus{parent(ours, "gw", "", accepted)},
		want:    []gatewayv1.RouteParentStatus{parent(ours, "gw", "", cond("Accepted", yes, "Accepted", 1, now))},
	}, {
		name:    "unchanged entry is returned as it was",
		old:     []gatewayv1.RouteParentStatus{parent(ours, "gw", "", acceptedOld)},
		desired: []gatewayv1.RouteParentStatus{parent(ours, "gw", "", accepted)},
		want:    []gatewayv1.RouteParentStatus{parent(ours, "gw", "", acceptedOld)},
	}, {
		name: "other controllers' entries stay, ours keeps its place",
		old: []gatewayv1.RouteParentStatus{
			parent(theirs, "a", "", acceptedOld),
			parent(ours, "gw", "", acceptedOld),
			parent(theirs, "b", "", acceptedOld),
		},
		desired: []gatewayv1.RouteParentStatus{parent(ours, "gw", "", rejected)},
		want: []gatewayv1.RouteParentStatus{
			parent(theirs, "a", "", acceptedOld),
			parent(ours, "gw", "", cond("Accepted", no, "NotAllowedByListeners", 1, now)),
			parent(theirs, "b", "", acceptedOld),
		},
	}, {
		name: "ours missing from the model is removed, new ones appended",
		old: []gatewayv1.RouteParentStatus{
			parent(ours, "gone", "", acceptedOld),
			parent(theirs, "gw", "", acceptedOld),
		},
		desired: []gatewayv1.RouteParentStatus{parent(ours, "gw", "https", accepted)},
		want: []gatewayv1.RouteParentStatus{
			parent(theirs, "gw", "", acceptedOld),
			parent(ours, "gw", "https", cond("Accepted", yes, "Accepted", 1, now)),
		},
	}, {
		name:    "a model parentRef without defaults matches, and the stored defaulted one is kept",
		old:     []gatewayv1.RouteParentStatus{parent(ours, "gw", "", acceptedOld)},
		desired: []gatewayv1.RouteParentStatus{bare},
		want:    []gatewayv1.RouteParentStatus{parent(ours, "gw", "", acceptedOld)},
	}, {
		name:    "empty model removes all of ours",
		old:     []gatewayv1.RouteParentStatus{parent(ours, "gw", "", acceptedOld), parent(theirs, "gw", "", acceptedOld)},
		desired: nil,
		want:    []gatewayv1.RouteParentStatus{parent(theirs, "gw", "", acceptedOld)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeRouteParents(tt.old, tt.desired, ours, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mergeRouteParents (-want +got):\n%s", diff)
			}
			// A policy's ancestor entries merge the same way.
			gotAncestors := mergeAncestors(ancestors(tt.old), ancestors(tt.desired), ours, now)
			if diff := cmp.Diff(ancestors(tt.want), gotAncestors, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mergeAncestors (-want +got):\n%s", diff)
			}
		})
	}
}

// ancestors are route parent entries as a policy's ancestor entries.
func ancestors(parents []gatewayv1.RouteParentStatus) []gatewayv1.PolicyAncestorStatus {
	var out []gatewayv1.PolicyAncestorStatus
	for _, p := range parents {
		out = append(out, gatewayv1.PolicyAncestorStatus{AncestorRef: p.ParentRef, ControllerName: p.ControllerName, Conditions: p.Conditions})
	}
	return out
}

func TestMergeGatewayStatus(t *testing.T) {
	var zero metav1.Time
	old := gatewayv1.GatewayStatus{
		Addresses:            []gatewayv1.GatewayStatusAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: "10.250.0.9"}},
		Conditions:           []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, t0)},
		AttachedListenerSets: ptr.To[int32](2),
		Listeners: []gatewayv1.ListenerStatus{
			{Name: "tls", AttachedRoutes: 1, Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, t0)}},
			{Name: "removed", Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, t0)}},
		},
	}
	desired := model.Gateway{
		Addresses:  []string{"10.250.0.1"},
		Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
		Listeners: []gatewayv1.ListenerStatus{
			{Name: "tls", AttachedRoutes: 3, Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)}},
			{Name: "new", Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "Invalid", 1, zero)}},
		},
	}
	want := gatewayv1.GatewayStatus{
		Addresses:            []gatewayv1.GatewayStatusAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: "10.250.0.1"}},
		Conditions:           []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, t0)},
		AttachedListenerSets: ptr.To[int32](2),
		Listeners: []gatewayv1.ListenerStatus{
			{Name: "tls", AttachedRoutes: 3, Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, t0)}},
			{Name: "new", Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "Invalid", 1, now)}},
		},
	}
	oldCopy := *old.DeepCopy()
	got := mergeGatewayStatus(old, desired, now)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mergeGatewayStatus (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(oldCopy, old); diff != "" {
		t.Errorf("mergeGatewayStatus changed its input (-before +after):\n%s", diff)
	}
}
