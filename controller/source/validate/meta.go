package validate

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
)

// objectMeta reads obj's metadata strictly, as the API server decodes it (a label that is not a
// string is an error, not dropped), fills in the namespace as kubectl and the API server would,
// and validates it with the API server's ObjectMeta rules and the kind's name rule.
func objectMeta(obj map[string]any, namespaced bool, name apimachineryvalidation.ValidateNameFunc) (*metav1.ObjectMeta, field.ErrorList) {
	path := field.NewPath("metadata")
	meta, _, err := schemaobjectmeta.GetObjectMeta(obj, false)
	if err != nil {
		return nil, field.ErrorList{field.Invalid(path, field.OmitValueType{}, err.Error())}
	}
	switch {
	case !namespaced:
		// The API server clears the namespace of a cluster-scoped object.
		meta.Namespace = ""
	case meta.Namespace == "":
		meta.Namespace = "default"
	}
	errs := apimachineryvalidation.ValidateObjectMeta(meta, namespaced, name, path)
	if meta.Name == "" && meta.GenerateName != "" {
		// generateName alone passes the API server, which makes up the name; files have no one to.
		errs = append(errs, field.Required(path.Child("name"), "generateName needs an API server to generate the name"))
	}
	return meta, errs
}
