package kubelet

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runningStatus is the status a kubelet reports once all containers run and are ready.
// podIPs has the primary address first.
func (k *Kubelet) runningStatus(pod *corev1.Pod, podIPs []string) corev1.PodStatus {
	s := k.baseStatus(pod, corev1.PodRunning, "")
	s.PodIP = podIPs[0]
	for _, ip := range podIPs {
		s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip})
	}
	for i := range s.ContainerStatuses {
		cs := &s.ContainerStatuses[i]
		cs.Ready, cs.Started = true, new(true)
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *s.StartTime}}
	}
	return s
}

// waitingStatus is the status of a pod whose containers cannot start yet (a Secret is missing,
// say): Pending, not Ready, with the reason on each container.
func (k *Kubelet) waitingStatus(pod *corev1.Pod, message string) corev1.PodStatus {
	s := k.baseStatus(pod, corev1.PodPending, message)
	for i := range s.ContainerStatuses {
		s.ContainerStatuses[i].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating", Message: message}}
	}
	return s
}

func (k *Kubelet) baseStatus(pod *corev1.Pod, phase corev1.PodPhase, notReadyMessage string) corev1.PodStatus {
	now := metav1.Now()
	start := pod.Status.StartTime
	if start == nil {
		start = &now
	}
	ready := corev1.ConditionTrue
	reason := ""
	if phase != corev1.PodRunning {
		ready, reason = corev1.ConditionFalse, "ContainersNotReady"
	}
	s := corev1.PodStatus{
		Phase:     phase,
		HostIP:    k.nodeIP,
		HostIPs:   []corev1.HostIP{{IP: k.nodeIP}},
		StartTime: start,
		QOSClass:  pod.Status.QOSClass,
		Conditions: []corev1.PodCondition{
			condition(pod, corev1.PodScheduled, corev1.ConditionTrue, "", ""),
			condition(pod, corev1.PodInitialized, corev1.ConditionTrue, "", ""),
			condition(pod, corev1.ContainersReady, ready, reason, notReadyMessage),
			condition(pod, corev1.PodReady, ready, reason, notReadyMessage),
		},
	}
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{
			Name:        c.Name,
			Image:       c.Image,
			ImageID:     c.Image,
			ContainerID: "loopback://" + string(pod.UID) + "/" + c.Name,
			Started:     new(false),
		})
	}
	return s
}

// condition keeps the transition time of a condition whose status does not change.
func condition(pod *corev1.Pod, t corev1.PodConditionType, status corev1.ConditionStatus, reason, message string) corev1.PodCondition {
	c := corev1.PodCondition{Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.Now()}
	for _, old := range pod.Status.Conditions {
		if old.Type == t && old.Status == status {
			c.LastTransitionTime = old.LastTransitionTime
		}
	}
	return c
}

// sameStatus compares what this kubelet writes, ignoring timestamps, so an unchanged pod is not
// written again (every write would come back as an update event and loop).
func sameStatus(a, b corev1.PodStatus) bool {
	if a.Phase != b.Phase || a.PodIP != b.PodIP || a.HostIP != b.HostIP || len(a.Conditions) != len(b.Conditions) || len(a.ContainerStatuses) != len(b.ContainerStatuses) ||
		!slices.Equal(a.PodIPs, b.PodIPs) {
		return false
	}
	conds := map[corev1.PodConditionType]corev1.PodCondition{}
	for _, c := range a.Conditions {
		conds[c.Type] = c
	}
	for _, c := range b.Conditions {
		if o, ok := conds[c.Type]; !ok || o.Status != c.Status || o.Message != c.Message {
			return false
		}
	}
	for i, c := range a.ContainerStatuses {
		o := b.ContainerStatuses[i]
		if c.Name != o.Name || c.Ready != o.Ready || (c.State.Running == nil) != (o.State.Running == nil) {
			return false
		}
	}
	return true
}
