package model

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TurnedFalse returns a copy of conditions where a True condition of conditionType is False with
// reason and message, keeping its observedGeneration. A condition that is already False keeps
// its own, more specific reason. Stages after the build use it to say that what the build meant
// to serve is not served; conditions is not changed.
func TurnedFalse(conditions []metav1.Condition, conditionType, reason, message string) []metav1.Condition {
	out := slices.Clone(conditions)
	for i := range out {
		if out[i].Type == conditionType && out[i].Status == metav1.ConditionTrue {
			out[i].Status, out[i].Reason, out[i].Message = metav1.ConditionFalse, reason, message
		}
	}
	return out
}
