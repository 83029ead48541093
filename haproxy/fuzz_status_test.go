package haproxy

import (
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// What the build says of the fuzzed objects. An object is either refused with a condition, or
// served: its strings then reach the configuration that "haproxy -c" checks. One neither refused
// nor served would be a string the build dropped without telling anyone.

// routeAccepted reports whether a route is accepted on the Gateway its parentRef names. It always
// has a status there: a route without one was skipped without a condition.
func routeAccepted(t *testing.T, m *model.Model, kind, namespace, name string) bool {
	t.Helper()
	for _, r := range m.Routes {
		if r.Kind != kind || r.Namespace != namespace || r.Name != name {
			continue
		}
		if len(r.Parents) != 1 {
			t.Fatalf("%s %q/%q has %d parent statuses, want 1", kind, namespace, name, len(r.Parents))
		}
		accepted := condition(r.Parents[0].Conditions, string(gatewayv1.RouteConditionAccepted))
		if accepted == nil || accepted.Reason == "" {
			t.Fatalf("%s %q/%q has no Accepted condition with a reason", kind, namespace, name)
		}
		return accepted.Status == metav1.ConditionTrue
	}
	t.Fatalf("%s %q/%q has no status: the build left it out without a condition", kind, namespace, name)
	return false
}

// listenerProgrammed reports whether the listener at index i of a Gateway is programmed. One that
// is not says why in a condition of its own: Accepted or ResolvedRefs False, or Conflicted True.
func listenerProgrammed(t *testing.T, m *model.Model, namespace, name string, i int) bool {
	t.Helper()
	for _, g := range m.Gateways {
		if g.Namespace != namespace || g.Name != name {
			continue
		}
		if i >= len(g.Listeners) {
			t.Fatalf("Gateway %q/%q has %d listener statuses, want more than %d", namespace, name, len(g.Listeners), i)
		}
		conditions := g.Listeners[i].Conditions
		if is(conditions, string(gatewayv1.ListenerConditionProgrammed), metav1.ConditionTrue) {
			return true
		}
		if !is(conditions, string(gatewayv1.ListenerConditionAccepted), metav1.ConditionFalse) &&
			!is(conditions, string(gatewayv1.ListenerConditionResolvedRefs), metav1.ConditionFalse) &&
			!is(conditions, string(gatewayv1.ListenerConditionConflicted), metav1.ConditionTrue) {
			t.Fatalf("listener %q is not programmed and no condition says why: %+v", g.Listeners[i].Name, conditions)
		}
		return false
	}
	t.Fatalf("Gateway %q/%q has no status: the build left it out without a condition", namespace, name)
	return false
}

func condition(conditions []metav1.Condition, conditionType string) *metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return &conditions[i]
		}
	}
	return nil
}

func is(conditions []metav1.Condition, conditionType string, status metav1.ConditionStatus) bool {
	c := condition(conditions, conditionType)
	return c != nil && c.Status == status
}

// mapEntry reports whether some map has an entry with this key whose value starts with prefix.
func mapEntry(cfg *Config, key, prefix string) bool {
	for path := range cfg.Maps {
		for _, line := range fileLines(cfg.Files[path].Content()) {
			if k, v, _ := strings.Cut(line, " "); (key == "" || k == key) && strings.HasPrefix(v, prefix) {
				return true
			}
		}
	}
	return false
}

// mapValueLists reports whether some map entry's value is a list of rule IDs that holds id.
func mapValueLists(cfg *Config, id string) bool {
	for path := range cfg.Maps {
		for _, line := range fileLines(cfg.Files[path].Content()) {
			if _, v, _ := strings.Cut(line, " "); slices.Contains(strings.Split(v, ","), id) {
				return true
			}
		}
	}
	return false
}

// crtListLine reports whether some crt-list has this line.
func crtListLine(cfg *Config, line string) bool {
	for path := range cfg.CrtLists {
		for _, l := range fileLines(cfg.Files[path].Content()) {
			if l == line {
				return true
			}
		}
	}
	return false
}

// mapKey is where a hostname (exact, wildcard or none) is looked up in maps.
func mapKey(hostname string) string {
	hostname = strings.ToLower(hostname)
	if hostname == "" {
		return "*"
	}
	return strings.TrimPrefix(hostname, "*")
}
