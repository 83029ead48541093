package translate

import (
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// reference is one cross-namespace pointer that a ReferenceGrant in the target namespace must allow.
type reference struct {
	fromGroup, fromKind, fromNamespace string
	toGroup, toKind, toNamespace       string
	toName                             string
}

// permitted reports whether the reference stays in its namespace or a ReferenceGrant allows it.
func permitted(grants []gatewayv1.ReferenceGrant, ref reference) bool {
	if ref.fromNamespace == ref.toNamespace {
		return true
	}
	for i := range grants {
		grant := &grants[i]
		if grant.Namespace != ref.toNamespace {
			continue
		}
		if grantAllowsFrom(grant, ref) && grantAllowsTo(grant, ref) {
			return true
		}
	}
	return false
}

func grantAllowsFrom(grant *gatewayv1.ReferenceGrant, ref reference) bool {
	for _, from := range grant.Spec.From {
		if string(from.Group) == ref.fromGroup && string(from.Kind) == ref.fromKind && string(from.Namespace) == ref.fromNamespace {
			return true
		}
	}
	return false
}

func grantAllowsTo(grant *gatewayv1.ReferenceGrant, ref reference) bool {
	for _, to := range grant.Spec.To {
		if string(to.Group) != ref.toGroup || string(to.Kind) != ref.toKind {
			continue
		}
		if to.Name == nil || *to.Name == "" || string(*to.Name) == ref.toName {
			return true
		}
	}
	return false
}
