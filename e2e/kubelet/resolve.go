package kubelet

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// ResolveContainer computes, the way this kubelet does for the pods it runs, the environment and
// the Secret and ConfigMap volume files (by absolute path) of a container of pod at podIP. Tests
// that run a pod's commands as processes of their own use it to give them what the kubelet would.
// $(VAR) references in the container's arguments are left to the caller.
func ResolveContainer(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.Container, podIP string) (env map[string]string, files map[string][]byte, err error) {
	data := &keyedData{k: &Kubelet{client: client}, namespace: pod.Namespace, cache: map[string]map[string][]byte{}}
	if env, err = resolveEnv(ctx, data, pod, c, []string{podIP}, ""); err != nil {
		return nil, nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	if files, err = resolveFiles(ctx, data, pod, c); err != nil {
		return nil, nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	return env, files, nil
}
