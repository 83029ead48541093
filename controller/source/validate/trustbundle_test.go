package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// certPEM makes a self-signed P-256 certificate, a CA or not.
func certPEM(t *testing.T, ca bool) string {
	t.Helper()
	pair, err := testtls.New("leaf")
	if ca {
		pair, err = testtls.NewCA("roots")
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pair.CertPEM)
}

// bundleDoc is a ClusterTrustBundle document of version with a literal block of bundle.
func bundleDoc(version, name, signerName, bundle string) string {
	doc := "apiVersion: certificates.k8s.io/" + version + "\nkind: ClusterTrustBundle\nmetadata: {name: \"" + name + "\"}\nspec:\n"
	if signerName != "" {
		doc += "  signerName: " + signerName + "\n"
	}
	return doc + "  trustBundle: |\n    " + strings.ReplaceAll(strings.TrimSpace(bundle), "\n", "\n    ") + "\n"
}

// TestTrustBundles holds ClusterTrustBundles to the API server's rules, in both versions, and
// checks that no message repeats the bundle.
func TestTrustBundles(t *testing.T) {
	ca, otherCA, leaf := certPEM(t, true), certPEM(t, true), certPEM(t, false)
	v := validator(t)
	for name, doc := range map[string]string{
		"v1beta1":                  bundleDoc("v1beta1", "roots", "", ca),
		"v1, two CAs and text":     bundleDoc("v1", "roots", "", ca+"a comment\n"+otherCA),
		"signer-prefixed name":     bundleDoc("v1", "example.com:signer:roots", "example.com/signer", ca),
		"namespace is disregarded": strings.Replace(bundleDoc("v1", "roots", "", ca), `{name: "roots"}`, `{name: "roots", namespace: x}`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if errs := v.Validate(context.Background(), object(t, doc)); len(errs) > 0 {
				t.Errorf("refused: %v", errs.ToAggregate())
			}
		})
	}
	for _, c := range []struct{ name, doc, want string }{
		{"not a CA", bundleDoc("v1", "roots", "", leaf), "entry 0 does not have the CA bit set"},
		{"a CA twice", bundleDoc("v1beta1", "roots", "", ca+ca), "duplicate trust anchor (indices [0 1])"},
		{"no certificate", bundleDoc("v1", "roots", "", "just text"), "at least one trust anchor must be provided"},
		{"a private key", bundleDoc("v1", "roots", "", ca+"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "entry 1 has bad block type: PRIVATE KEY"},
		{"colon without signer", bundleDoc("v1", "example.com:roots", "", ca), `must not have ":" in its name`},
		{"name without the signer's prefix", bundleDoc("v1", "roots", "example.com/signer", ca), "must be named with prefix example.com:signer:"},
		{"signer without a path", bundleDoc("v1", "example.com:roots", "example.com", ca), "must be a fully qualified domain and path"},
		{"signer domain of one label", bundleDoc("v1", "example:signer:roots", "example/signer", ca), "at least two segments"},
		{"name not a subdomain", bundleDoc("v1", "Roots", "", ca), "a lowercase RFC 1123 subdomain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := v.Validate(context.Background(), object(t, c.doc))
			if len(errs) == 0 {
				t.Fatalf("accepted:\n%s", c.doc)
			}
			msg := errs.ToAggregate().Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("messages do not say %q: %s", c.want, msg)
			}
			for _, line := range strings.Split(ca+leaf, "\n") {
				if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line[:16]) {
					t.Errorf("messages repeat the bundle: %s", msg)
				}
			}
		})
	}
}
