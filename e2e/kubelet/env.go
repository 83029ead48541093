package kubelet

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// resolveEnv computes a container's environment the way the kubelet does for the sources the
// tests use: envFrom, literal values, the pod's own fields, and Secret or ConfigMap keys.
// $(VAR) references are not expanded.
func resolveEnv(ctx context.Context, data *keyedData, pod *corev1.Pod, c *corev1.Container, podIPs []string, hostIP string) (map[string]string, error) {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		var kind, name string
		var optional bool
		switch {
		case from.ConfigMapRef != nil:
			kind, name, optional = "configmap", from.ConfigMapRef.Name, ptr.Deref(from.ConfigMapRef.Optional, false)
		case from.SecretRef != nil:
			kind, name, optional = "secret", from.SecretRef.Name, ptr.Deref(from.SecretRef.Optional, false)
		default:
			continue
		}
		values, err := data.get(ctx, kind, name, optional)
		if err != nil {
			return nil, err
		}
		for key, v := range values {
			env[from.Prefix+key] = string(v)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
			continue
		}
		v, ok, err := resolveEnvSource(ctx, data, pod, e.ValueFrom, podIPs, hostIP)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if ok {
			env[e.Name] = v
		}
	}
	return env, nil
}

// resolveEnvSource returns ok=false for an optional reference that does not resolve.
func resolveEnvSource(ctx context.Context, data *keyedData, pod *corev1.Pod, src *corev1.EnvVarSource, podIPs []string, hostIP string) (string, bool, error) {
	switch {
	case src.FieldRef != nil:
		v, err := podField(pod, src.FieldRef.FieldPath, podIPs, hostIP)
		return v, err == nil, err
	case src.SecretKeyRef != nil:
		r := src.SecretKeyRef
		v, ok, err := data.key(ctx, "secret", r.Name, r.Key, ptr.Deref(r.Optional, false))
		return string(v), ok, err
	case src.ConfigMapKeyRef != nil:
		r := src.ConfigMapKeyRef
		v, ok, err := data.key(ctx, "configmap", r.Name, r.Key, ptr.Deref(r.Optional, false))
		return string(v), ok, err
	}
	// Resource limits and the like have no meaning without a runtime; leave the variable unset.
	return "", false, nil
}

// podField answers the downward API's fieldRef paths. podIPs has the primary address first; the
// plural paths list every address, comma-separated, as the kubelet does.
func podField(pod *corev1.Pod, path string, podIPs []string, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		if len(podIPs) == 0 {
			return "", nil
		}
		return podIPs[0], nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if rest, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(rest, "']") {
			return m[strings.TrimSuffix(rest, "']")], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %q", path)
}
