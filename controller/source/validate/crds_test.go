package validate

import (
	"testing"
	"testing/fstest"
)

// TestReadCRDs: CRDs come out in file order, other kinds in the same folder are skipped, and a
// folder without CRDs is an error rather than a validator that accepts nothing.
func TestReadCRDs(t *testing.T) {
	crd := func(name string) string {
		return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: " + name + "}\n"
	}
	fsys := fstest.MapFS{
		"b.yaml":        {Data: []byte(crd("b.example.com") + "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\n")},
		"a.yaml":        {Data: []byte(crd("a.example.com"))},
		"notes.txt":     {Data: []byte(crd("ignored.example.com"))},
		"sub/c.yaml":    {Data: []byte(crd("c.example.com"))},
		"empty/x.yaml":  {Data: []byte("# nothing\n")},
		"broken/y.yaml": {Data: []byte("kind: [")},
	}
	crds, err := ReadCRDs(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 2 || crds[0].Name != "a.example.com" || crds[1].Name != "b.example.com" {
		t.Errorf("read %d CRDs: %v", len(crds), crds)
	}
	if _, err := ReadCRDs(fstest.MapFS{"x.yaml": {Data: []byte("# nothing\n")}}); err == nil {
		t.Error("a folder without CRDs was accepted")
	}
	if _, err := ReadCRDs(fstest.MapFS{"x.yaml": {Data: []byte("kind: [")}}); err == nil {
		t.Error("a file that is not YAML was accepted")
	}
}
