package kubelet

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodField(t *testing.T) {
	pod := podWithMeta()
	for path, want := range map[string]string{
		"metadata.name": "p", "metadata.namespace": "ns", "status.podIP": "10.244.128.9",
		"status.podIPs": "10.244.128.9,fd00:10:244::af4:8009",
		"status.hostIP": "10.244.128.1", "spec.nodeName": "loopback", "metadata.labels['app']": "echo",
	} {
		if got, err := podField(pod, path, []string{"10.244.128.9", "fd00:10:244::af4:8009"}, "10.244.128.1"); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := podField(pod, "spec.unknown", nil, ""); err == nil {
		t.Error("unknown field path resolved")
	}
}

func podWithMeta() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "echo"}},
		Spec:       corev1.PodSpec{NodeName: "loopback"},
	}
}
