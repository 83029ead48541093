package source

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// discoveryStub serves the resource lists it holds, by group version, and NotFound for others,
// as an API server's discovery does.
type discoveryStub map[string][]metav1.APIResource

func (d discoveryStub) ServerResourcesForGroupVersionWithContext(_ context.Context, gv string) (*metav1.APIResourceList, error) {
	if d == nil {
		return nil, errors.New("connection refused")
	}
	resources, ok := d[gv]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{}, gv)
	}
	return &metav1.APIResourceList{GroupVersion: gv, APIResources: resources}, nil
}

var listWatch = []string{"create", "delete", "get", "list", "patch", "update", "watch"}

// TestFindTrustBundleAPI: v1 is preferred over v1beta1; a version without the resource, or
// without list and watch, is passed over; no version says why; a list RBAC forbids says so; an
// API server that does not answer is an error, not "unavailable".
func TestFindTrustBundleAPI(t *testing.T) {
	bundles := []metav1.APIResource{{Name: "clustertrustbundles", Kind: "ClusterTrustBundle", Verbs: listWatch}}
	others := []metav1.APIResource{{Name: "certificatesigningrequests", Kind: "CertificateSigningRequest", Verbs: listWatch}}
	allowed := func(context.Context, schema.GroupVersionResource) error { return nil }
	forbidden := func(_ context.Context, gvr schema.GroupVersionResource) error {
		return apierrors.NewForbidden(gvr.GroupResource(), "", errors.New("RBAC"))
	}
	for _, c := range []struct {
		name      string
		discovery discoveryStub
		list      func(context.Context, schema.GroupVersionResource) error
		want      string // the object's type, or the start of unavailable
		wantErr   bool
	}{
		{"v1 and v1beta1", discoveryStub{"certificates.k8s.io/v1": append(others, bundles...), "certificates.k8s.io/v1beta1": bundles}, allowed, "*v1.ClusterTrustBundle", false},
		{"v1beta1 only", discoveryStub{"certificates.k8s.io/v1": others, "certificates.k8s.io/v1beta1": bundles}, allowed, "*v1beta1.ClusterTrustBundle", false},
		{"not served", discoveryStub{"certificates.k8s.io/v1": others}, allowed, "the API server does not serve them", false},
		{"no watch", discoveryStub{"certificates.k8s.io/v1beta1": {{Name: "clustertrustbundles", Verbs: []string{"get", "list"}}}}, allowed, "the API server does not serve them", false},
		{"forbidden", discoveryStub{"certificates.k8s.io/v1beta1": bundles}, forbidden, "the controller may not list clustertrustbundles.certificates.k8s.io", false},
		{"no answer", nil, allowed, "", true},
		{"list fails", discoveryStub{"certificates.k8s.io/v1": bundles}, func(context.Context, schema.GroupVersionResource) error {
			return apierrors.NewServiceUnavailable("starting")
		}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			api, err := findTrustBundleAPI(context.Background(), c.discovery, c.list)
			if c.wantErr {
				if err == nil {
					t.Fatalf("no error; got %+v", api)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := api.unavailable
			if api.obj != nil {
				got = typeName(api.obj)
				if api.unavailable != "" {
					t.Errorf("readable, yet unavailable %q", api.unavailable)
				}
			}
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *certificatesv1.ClusterTrustBundle:
		return "*v1.ClusterTrustBundle"
	case *certificatesv1beta1.ClusterTrustBundle:
		return "*v1beta1.ClusterTrustBundle"
	}
	return "other"
}

// TestTrustBundleInterest: only the ClusterTrustBundles a reference names signal a rebuild, in
// either version, and they count under their kind.
func TestTrustBundleInterest(t *testing.T) {
	var ignored []string
	in := newInterest("", func(kind string) { ignored = append(ignored, kind) })
	in.set(snapshot.References{ClusterTrustBundles: map[string]bool{"named": true}})
	named := &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "named"}}
	other := &certificatesv1beta1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	namedBeta := &certificatesv1beta1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "named"}}
	if !in.change(nil, named) || !in.change(nil, namedBeta) {
		t.Error("a named ClusterTrustBundle did not signal")
	}
	if in.change(nil, other) {
		t.Error("a ClusterTrustBundle nothing names signalled")
	}
	if got := in.takeCauses()["ClusterTrustBundle"]; got != 2 {
		t.Errorf("%d ClusterTrustBundle causes, want 2", got)
	}
	if len(ignored) != 1 || ignored[0] != "ClusterTrustBundle" {
		t.Errorf("ignored %v", ignored)
	}
}

// TestTrustBundleOnly keeps the name, version and PEM of a ClusterTrustBundle, nothing else.
func TestTrustBundleOnly(t *testing.T) {
	b := &certificatesv1beta1.ClusterTrustBundle{
		ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:roots", ResourceVersion: "7",
			Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"big": strings.Repeat("x", 1000)}},
		Spec: certificatesv1beta1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: "PEM"},
	}
	out, err := trustBundleOnly(func(o any) (any, error) { return o, nil })(b)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*certificatesv1beta1.ClusterTrustBundle)
	if got.Name != "example.com:signer:roots" || got.ResourceVersion != "7" || got.Spec.TrustBundle != "PEM" {
		t.Errorf("lost what a build reads: %+v", got)
	}
	if got.Labels != nil || got.Annotations != nil || got.Spec.SignerName != "" {
		t.Errorf("kept what no build reads: %+v", got)
	}
}

// TestDecodeTrustBundles reads both versions into the v1 type, without a namespace.
func TestDecodeTrustBundles(t *testing.T) {
	snap, err := Decode([]byte(`apiVersion: certificates.k8s.io/v1beta1
kind: ClusterTrustBundle
metadata: {name: beta}
spec: {trustBundle: "beta PEM"}
---
apiVersion: certificates.k8s.io/v1
kind: ClusterTrustBundle
metadata: {name: ga, namespace: ignored}
spec: {trustBundle: "v1 PEM"}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := snap.ClusterTrustBundles
	if len(got) != 2 || got[0].Name != "beta" || got[0].Spec.TrustBundle != "beta PEM" || got[1].Name != "ga" || got[1].Namespace != "" {
		t.Errorf("ClusterTrustBundles %+v", got)
	}
}

// TestFilesTakeTrustBundles: the files source validates a ClusterTrustBundle as an API server
// would and passes it on without a namespace; one holding a certificate that is not a CA is left
// out, and its rejection has no namespace either.
func TestFilesTakeTrustBundles(t *testing.T) {
	certPEM := func(ca bool) string {
		pair, err := testtls.New("leaf")
		if ca {
			pair, err = testtls.NewCA("roots")
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.TrimSpace(string(pair.CertPEM)), "\n", "\n    ")
	}
	doc := func(name string, ca bool) string {
		return "apiVersion: certificates.k8s.io/v1beta1\nkind: ClusterTrustBundle\nmetadata: {name: " + name + "}\nspec:\n  trustBundle: |\n    " + certPEM(ca) + "\n"
	}
	v, err := validator()
	if err != nil {
		t.Fatal(err)
	}
	d := decodeFile(context.Background(), v, yamlFile{path: "bundles.yaml", content: []byte(doc("roots", true) + "---\n" + doc("leaf", false))})
	snap := &snapshot.Snapshot{}
	addAll(snap, d)
	if len(snap.ClusterTrustBundles) != 1 || snap.ClusterTrustBundles[0].Name != "roots" || snap.ClusterTrustBundles[0].Namespace != "" {
		t.Errorf("ClusterTrustBundles %+v", snap.ClusterTrustBundles)
	}
	if len(d.rejected) != 1 || d.rejected[0].Name != "leaf" || d.rejected[0].Namespace != "" ||
		!strings.Contains(strings.Join(d.rejected[0].Messages, " "), "does not have the CA bit set") {
		t.Errorf("rejected %+v", d.rejected)
	}
}

// The scheme must know both versions, or the cache cannot watch the one served.
func TestSchemeKnowsTrustBundles(t *testing.T) {
	for _, obj := range []runtime.Object{&certificatesv1.ClusterTrustBundle{}, &certificatesv1beta1.ClusterTrustBundle{}} {
		if _, _, err := Scheme().ObjectKinds(obj); err != nil {
			t.Error(err)
		}
	}
}
