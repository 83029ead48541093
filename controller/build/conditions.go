package build

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// condition makes a condition without a transition time: the status writer sets that, so that a
// build stays a pure function of its input.
func condition(conditionType string, ok bool, reason, message string, generation int64) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: generation}
}

// setCondition replaces the condition of the same type, or appends it.
func setCondition(conditions []metav1.Condition, c metav1.Condition) []metav1.Condition {
	i := slices.IndexFunc(conditions, func(existing metav1.Condition) bool { return existing.Type == c.Type })
	if i < 0 {
		return append(conditions, c)
	}
	conditions[i] = c
	return conditions
}

// isTrue reports whether the condition of this type is present and True.
func isTrue(conditions []metav1.Condition, conditionType string) bool {
	i := slices.IndexFunc(conditions, func(c metav1.Condition) bool { return c.Type == conditionType })
	return i >= 0 && conditions[i].Status == metav1.ConditionTrue
}
