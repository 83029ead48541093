package translate

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// condition makes a condition without a transition time: the status writer sets that, so that a
// build stays a pure function of its input.
func condition(conditionType string, ok bool, reason, message string, generation int64) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: generation}
}
