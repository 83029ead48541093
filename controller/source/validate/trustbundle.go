package validate

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The API server's rules for ClusterTrustBundles (pkg/apis/certificates/validation and the name
// and signer name rules of pkg/apis/core/validation at v1.36), the same for v1 and v1beta1.

// maxTrustBundleSize is certificates.MaxTrustBundleSize.
const maxTrustBundleSize = 1 << 20

// nameBySpec lets any name through objectMeta: a ClusterTrustBundle's name rule depends on its
// signer name, so trustBundle checks it.
func nameBySpec(string, bool) []string { return nil }

func trustBundleV1(b *certificatesv1.ClusterTrustBundle) field.ErrorList {
	return trustBundle(b.Name, b.Spec.SignerName, b.Spec.TrustBundle)
}

func trustBundleV1beta1(b *certificatesv1beta1.ClusterTrustBundle) field.ErrorList {
	return trustBundle(b.Name, b.Spec.SignerName, b.Spec.TrustBundle)
}

// trustBundle checks the name against the signer name, the signer name, and the bundle: PEM
// CERTIFICATE blocks without headers, each an X.509 CA certificate, at least one, none twice.
// Messages never repeat the bundle.
func trustBundle(name, signerName, bundle string) field.ErrorList {
	var errs field.ErrorList
	namePath := field.NewPath("metadata", "name")
	if name != "" {
		for _, msg := range trustBundleName(name, signerName) {
			errs = append(errs, field.Invalid(namePath, name, msg))
		}
	}
	if signerName != "" {
		errs = append(errs, validSignerName(signerName, field.NewPath("spec", "signerName"))...)
	}
	return append(errs, trustAnchors(bundle, field.NewPath("spec", "trustBundle"))...)
}

// trustBundleName: without a signer, any DNS subdomain without ":"; with one, the signer name
// with "/" as ":" and a ":", then a DNS subdomain.
func trustBundleName(name, signerName string) []string {
	if signerName == "" {
		if strings.Contains(name, ":") {
			return []string{`a ClusterTrustBundle without signerName must not have ":" in its name`}
		}
		return apimachineryvalidation.NameIsDNSSubdomain(name, false)
	}
	prefix := strings.ReplaceAll(signerName, "/", ":") + ":"
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return []string{fmt.Sprintf("a ClusterTrustBundle for signerName %s must be named with prefix %s", signerName, prefix)}
	}
	return apimachineryvalidation.NameIsDNSSubdomain(rest, false)
}

// validSignerName: "<domain>/<path>", the domain of two or more DNS labels, the path of DNS
// subdomains joined by ".".
func validSignerName(signerName string, path *field.Path) field.ErrorList {
	domain, signerPath, ok := strings.Cut(signerName, "/")
	if !ok || strings.Contains(signerPath, "/") {
		return field.ErrorList{field.Invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var errs field.ErrorList
	if len(domain) > utilvalidation.DNS1123SubdomainMaxLength {
		errs = append(errs, field.TooLong(path, "", utilvalidation.DNS1123SubdomainMaxLength))
	}
	labels := strings.Split(domain, ".")
	for _, label := range labels {
		if msgs := utilvalidation.IsDNS1123Label(label); len(msgs) > 0 {
			errs = append(errs, field.Invalid(path, domain, fmt.Sprintf("validating label %q: %s", label, strings.Join(msgs, "; "))))
			break
		}
	}
	if len(labels) < 2 {
		errs = append(errs, field.Invalid(path, domain, "should be a domain with at least two segments separated by dots"))
	}
	for _, part := range strings.Split(signerPath, ".") {
		if msgs := utilvalidation.IsDNS1123Subdomain(part); len(msgs) > 0 {
			errs = append(errs, field.Invalid(path, signerPath, fmt.Sprintf("validating label %q: %s", part, strings.Join(msgs, "; "))))
			break
		}
	}
	maxLen := utilvalidation.DNS1123SubdomainMaxLength + 1 + utilvalidation.DNS1123SubdomainMaxLength + utilvalidation.DNS1123LabelMaxLength + 1
	if len(signerName) > maxLen {
		errs = append(errs, field.TooLong(path, "", maxLen))
	}
	return errs
}

// trustAnchors checks a PEM bundle as the API server does; text between blocks is allowed.
func trustAnchors(bundle string, path *field.Path) field.ErrorList {
	if len(bundle) > maxTrustBundleSize {
		return field.ErrorList{field.TooLong(path, "", maxTrustBundleSize)}
	}
	var errs field.ErrorList
	invalid := func(msg string) { errs = append(errs, field.Invalid(path, field.OmitValueType{}, msg)) }
	seen := map[string][]int{}
	var order []string
	rest := []byte(bundle)
	for i := 0; ; i++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		switch cert, err := x509.ParseCertificate(block.Bytes); {
		case block.Type != "CERTIFICATE":
			invalid(fmt.Sprintf("entry %d has bad block type: %s", i, block.Type))
		case len(block.Headers) > 0:
			invalid(fmt.Sprintf("entry %d has PEM block headers", i))
		case err != nil:
			invalid(fmt.Sprintf("entry %d does not parse as X.509", i))
		case !cert.IsCA:
			invalid(fmt.Sprintf("entry %d does not have the CA bit set", i))
		case !cert.BasicConstraintsValid:
			invalid(fmt.Sprintf("entry %d has invalid basic constraints", i))
		default:
			key := string(block.Bytes)
			if seen[key] == nil {
				order = append(order, key)
			}
			seen[key] = append(seen[key], i)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if len(order) == 0 {
		invalid("at least one trust anchor must be provided")
	}
	for _, key := range order {
		if indices := seen[key]; len(indices) > 1 {
			invalid(fmt.Sprintf("duplicate trust anchor (indices %v)", indices))
		}
	}
	return errs
}
