// Package validate checks objects read from YAML files the way an API server checks them before it
// stores them, so that standalone mode passes on only what a cluster would have accepted:
//   - Gateway API kinds against their CRDs: the OpenAPI v3 schema and the CEL rules
//     (x-kubernetes-validations), run by k8s.io/apiextensions-apiserver, the API server's own code;
//   - Service, EndpointSlice, Secret, ConfigMap and ClusterTrustBundle against Kubernetes' rules for the fields the
//     controller reads;
//   - the metadata of every object against the API server's ObjectMeta rules and the kind's name rule.
package validate

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validator holds compiled CRDs; it is safe for concurrent use.
type Validator struct {
	custom map[schema.GroupVersionKind]*customResource
}

// New compiles the CRDs in the *.yaml files of crds: every served version that reads says the
// caller can decode (others would be refused anyway and need no compiling). CEL compilation makes
// this slow, a second or more: compile once and share the Validator.
func New(crds fs.FS, reads func(schema.GroupVersionKind) bool) (*Validator, error) {
	list, err := ReadCRDs(crds)
	if err != nil {
		return nil, err
	}
	v := &Validator{custom: map[schema.GroupVersionKind]*customResource{}}
	for _, crd := range list {
		for _, version := range crd.Spec.Versions {
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind}
			if !version.Served || !reads(gvk) {
				continue
			}
			if v.custom[gvk], err = compile(crd, version); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// Validate returns what an API server would refuse to create obj for; nil means it would store
// it. obj is one document as decoded from JSON (numbers int64 or float64) and is not changed.
func (v *Validator) Validate(ctx context.Context, obj map[string]any) field.ErrorList {
	gvk := (&unstructured.Unstructured{Object: obj}).GroupVersionKind()
	if c := v.custom[gvk]; c != nil {
		_, errs := objectMeta(obj, c.namespaced, apimachineryvalidation.NameIsDNSSubdomain)
		// Pruning and defaulting change the object: work on a copy.
		return append(errs, c.validate(ctx, runtime.DeepCopyJSON(obj))...)
	}
	if k, ok := coreKinds[gvk]; ok {
		_, errs := objectMeta(obj, k.namespaced, k.name)
		if k.validate != nil {
			errs = append(errs, k.validate(obj)...)
		}
		return errs
	}
	return field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.GroupVersion().String()+" "+gvk.Kind, v.kinds())}
}

// kinds lists what Validate accepts, for the message about anything else.
func (v *Validator) kinds() []string {
	var out []string
	for gvk := range v.custom {
		out = append(out, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	for gvk := range coreKinds {
		out = append(out, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	slices.Sort(out)
	return out
}

// coreKind is how the API server treats one built-in kind.
type coreKind struct {
	namespaced bool
	name       apimachineryvalidation.ValidateNameFunc
	// validate checks the rest of the object; nil when only metadata is checked.
	validate func(map[string]any) field.ErrorList
}

var coreKinds = map[schema.GroupVersionKind]coreKind{
	corev1.SchemeGroupVersion.WithKind("Namespace"):                       {false, apimachineryvalidation.ValidateNamespaceName, nil},
	corev1.SchemeGroupVersion.WithKind("ConfigMap"):                       {true, apimachineryvalidation.NameIsDNSSubdomain, typed(configMap)},
	corev1.SchemeGroupVersion.WithKind("Secret"):                          {true, apimachineryvalidation.NameIsDNSSubdomain, typed(secret)},
	corev1.SchemeGroupVersion.WithKind("Service"):                         {true, apimachineryvalidation.NameIsDNS1035Label, typed(service)},
	discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"):              {true, apimachineryvalidation.NameIsDNSSubdomain, typed(endpointSlice)},
	certificatesv1.SchemeGroupVersion.WithKind("ClusterTrustBundle"):      {false, nameBySpec, typed(trustBundleV1)},
	certificatesv1beta1.SchemeGroupVersion.WithKind("ClusterTrustBundle"): {false, nameBySpec, typed(trustBundleV1beta1)},
}

// typed converts an object to its Go type before check sees it.
func typed[T any](check func(*T) field.ErrorList) func(map[string]any) field.ErrorList {
	return func(obj map[string]any) field.ErrorList {
		var t T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &t); err != nil {
			return field.ErrorList{field.Invalid(nil, field.OmitValueType{}, fmt.Sprintf("cannot be read as %T: %v", t, err))}
		}
		return check(&t)
	}
}
