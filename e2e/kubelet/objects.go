package kubelet

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// keyedData reads the Secrets and ConfigMaps a pod refers to, each once per sync.
type keyedData struct {
	k         *Kubelet
	namespace string
	cache     map[string]map[string][]byte // "secret/name" or "configmap/name" -> data
}

// errMissing is returned for a Secret, ConfigMap or key that does not exist yet; the pod waits
// and is tried again.
type errMissing struct{ what string }

func (e errMissing) Error() string { return e.what + " not found" }

// get returns the object's data, or nil when it does not exist and optional is set.
func (d *keyedData) get(ctx context.Context, kind, name string, optional bool) (map[string][]byte, error) {
	id := kind + "/" + name
	data, ok := d.cache[id]
	if !ok {
		var err error
		data, err = d.fetch(ctx, kind, name)
		if apierrors.IsNotFound(err) {
			if optional {
				return nil, nil
			}
			return nil, errMissing{fmt.Sprintf("%s %s/%s", kind, d.namespace, name)}
		}
		if err != nil {
			return nil, err
		}
		d.cache[id] = data
	}
	return data, nil
}

func (d *keyedData) fetch(ctx context.Context, kind, name string) (map[string][]byte, error) {
	if kind == "secret" {
		s, err := d.k.client.CoreV1().Secrets(d.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return s.Data, nil
	}
	cm, err := d.k.client.CoreV1().ConfigMaps(d.namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for key, v := range cm.Data {
		data[key] = []byte(v)
	}
	for key, v := range cm.BinaryData {
		data[key] = v
	}
	return data, nil
}

// key returns one key of the object; a missing key is waited for unless optional.
func (d *keyedData) key(ctx context.Context, kind, name, key string, optional bool) ([]byte, bool, error) {
	data, err := d.get(ctx, kind, name, optional)
	if err != nil || data == nil {
		return nil, false, err
	}
	v, ok := data[key]
	if !ok && !optional {
		return nil, false, errMissing{fmt.Sprintf("key %q of %s %s/%s", key, kind, d.namespace, name)}
	}
	return v, ok, nil
}
