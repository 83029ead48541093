package validate

import (
	"context"
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// customResource is one served version of a CRD, compiled the way the API server compiles it when
// it starts serving the CRD: a structural schema, an OpenAPI validator and the CEL programs.
type customResource struct {
	namespaced bool
	// hasStatus: the API server drops status on create when the status subresource is on.
	hasStatus  bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	// cel is nil when the schema has no x-kubernetes-validations.
	cel *cel.Validator
}

// compile prepares version of crd. It is slow (CEL compilation): done once, at start-up.
func compile(crd *apiextensionsv1.CustomResourceDefinition, version apiextensionsv1.CustomResourceDefinitionVersion) (*customResource, error) {
	if version.Schema == nil {
		return nil, fmt.Errorf("CRD %s version %s has no schema", crd.Name, version.Name)
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(version.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version.Name, err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version.Name, err)
	}
	// As the API server does: defaults are applied after pruning, so pruned parts of a default go.
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version.Name, err)
	}
	schema, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version.Name, err)
	}
	return &customResource{
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  version.Subresources != nil && version.Subresources.Status != nil,
		structural: structural,
		schema:     schema,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// validate runs what the API server runs on a create after decoding, in its order: prune unknown
// fields, coerce embedded metadata, apply defaults, then the OpenAPI schema, embedded metadata,
// list-type invariants and, when nothing blocking was found, the CEL rules. The root's metadata is
// objectMeta's part, as it is the API server's decoder's and not the schema's. obj is changed.
func (c *customResource) validate(ctx context.Context, obj map[string]any) field.ErrorList {
	if c.hasStatus {
		delete(obj, "status")
	}
	structuralpruning.Prune(obj, c.structural, true)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, c.structural)
	if err := schemaobjectmeta.Coerce(nil, obj, c.structural, false, false); err != nil {
		return field.ErrorList{err}
	}
	structuraldefaulting.Default(obj, c.structural)

	errs := apiservervalidation.ValidateCustomResource(nil, obj, c.schema)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, c.structural, true)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, c.structural, obj)...)
	if c.cel == nil {
		return errs
	}
	if blocking(errs) {
		// The API server's words: CEL rules may assume the schema holds, so they are not run.
		return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	celErrs, _ := c.cel.Validate(ctx, nil, c.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// blocking mirrors the API server's list of schema errors after which CEL rules are not run.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
