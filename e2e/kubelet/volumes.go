package kubelet

import (
	"context"
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// resolveFiles returns the files a container would see from its Secret and ConfigMap volumes,
// keyed by absolute path. They stay in memory: the echo servers read certificates and keys from
// this map, so private keys are never written to disk. Other volume types (emptyDir, the projected
// service-account token) are ignored.
func resolveFiles(ctx context.Context, data *keyedData, pod *corev1.Pod, c *corev1.Container) (map[string][]byte, error) {
	volumes := map[string]*corev1.Volume{}
	for i := range pod.Spec.Volumes {
		volumes[pod.Spec.Volumes[i].Name] = &pod.Spec.Volumes[i]
	}
	files := map[string][]byte{}
	for _, m := range c.VolumeMounts {
		v := volumes[m.Name]
		if v == nil {
			continue
		}
		var kind, name string
		var items []corev1.KeyToPath
		var optional bool
		switch {
		case v.Secret != nil:
			kind, name, items, optional = "secret", v.Secret.SecretName, v.Secret.Items, ptr.Deref(v.Secret.Optional, false)
		case v.ConfigMap != nil:
			kind, name, items, optional = "configmap", v.ConfigMap.Name, v.ConfigMap.Items, ptr.Deref(v.ConfigMap.Optional, false)
		default:
			continue
		}
		content, err := volumeContent(ctx, data, kind, name, items, optional)
		if err != nil {
			return nil, err
		}
		for rel, b := range content {
			switch {
			case m.SubPath == "":
				files[path.Join(m.MountPath, rel)] = b
			case m.SubPath == rel:
				files[m.MountPath] = b
			}
		}
	}
	return files, nil
}

// volumeContent maps the object's keys to file names: every key under its own name, or only the
// listed items under their paths.
func volumeContent(ctx context.Context, data *keyedData, kind, name string, items []corev1.KeyToPath, optional bool) (map[string][]byte, error) {
	values, err := data.get(ctx, kind, name, optional)
	if err != nil || values == nil {
		return nil, err
	}
	if len(items) == 0 {
		return values, nil
	}
	content := make(map[string][]byte, len(items))
	for _, it := range items {
		v, ok := values[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, errMissing{"key " + it.Key + " of " + kind + " " + data.namespace + "/" + name}
		}
		content[it.Path] = v
	}
	return content, nil
}
