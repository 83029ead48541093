package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source/validate"
	gatewayapicrds "github.com/haproxy-gateway/haproxy-gateway/deploy/helm/haproxy-gateway/charts/gateway-api-crds"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// validator checks every object read from files. It is compiled once per process, on first use
// (at start-up in standalone mode): compiling the CRDs' CEL rules takes seconds.
var validator = sync.OnceValues(func() (*validate.Validator, error) {
	crds, err := fs.Sub(gatewayapicrds.FS, "crds")
	if err != nil {
		return nil, err
	}
	v, err := validate.New(crds, Scheme().Recognizes)
	if err != nil {
		return nil, fmt.Errorf("compile the Gateway API CRDs: %w", err)
	}
	return v, nil
})

var deserializer = sync.OnceValue(func() runtime.Decoder {
	return serializer.NewCodecFactory(Scheme()).UniversalDeserializer()
})

// yamlFile is one file of the directory, read whole.
type yamlFile struct {
	path    string
	content []byte
}

// decodedFile is what one file gave: the objects an API server would have accepted, and the
// documents it would have refused.
type decodedFile struct {
	objects  []runtime.Object
	rejected []snapshot.Rejected
	// unreadable is set when a document is not YAML at all (often a file half written by an
	// editor), as opposed to an object that is readable but invalid.
	unreadable bool
}

// decodeFile reads every document of f and validates each object as an API server would.
func decodeFile(ctx context.Context, v *validate.Validator, f yamlFile) decodedFile {
	var out decodedFile
	reader := utilyaml.NewYAMLReader(bufioReader(f.content))
	for document := 1; ; document++ {
		doc, err := reader.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			// The reader cannot find the next document: the rest of the file is lost.
			out.unreadable = true
			out.rejected = append(out.rejected, snapshot.Rejected{File: f.path, Document: document, Messages: []string{err.Error()}})
			return out
		}
		if len(stripComments(doc)) == 0 {
			continue
		}
		obj, rejected := decodeDocument(ctx, v, doc)
		if rejected != nil {
			rejected.File, rejected.Document = f.path, document
			out.rejected = append(out.rejected, *rejected)
			out.unreadable = out.unreadable || rejected.Kind == ""
			continue
		}
		out.objects = append(out.objects, obj)
	}
}

// decodeDocument turns one YAML document into a typed object, or says why an API server would
// refuse it. A rejection without Kind means the document could not be read as an object at all.
func decodeDocument(ctx context.Context, v *validate.Validator, doc []byte) (runtime.Object, *snapshot.Rejected) {
	data, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, &snapshot.Rejected{Messages: []string{err.Error()}}
	}
	// utiljson keeps whole numbers int64, as the API server decodes them; CEL rules need that.
	var raw map[string]any
	if err := utiljson.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, &snapshot.Rejected{Messages: []string{fmt.Sprintf("not an object: %v", err)}}
	}
	u := &unstructured.Unstructured{Object: raw}
	refused := func(messages ...string) *snapshot.Rejected {
		namespace := u.GetNamespace()
		if namespace == "" && !clusterScoped[u.GetKind()] {
			namespace = "default" // where it would have gone, as add fills it in
		}
		return &snapshot.Rejected{Kind: kindOf(u), Namespace: namespace, Name: u.GetName(), Messages: messages}
	}
	if errs := v.Validate(ctx, raw); len(errs) > 0 {
		messages := make([]string, len(errs))
		for i, e := range errs {
			messages[i] = e.Error()
		}
		return nil, refused(messages...)
	}
	obj, _, err := deserializer().Decode(data, nil, nil)
	if err != nil {
		return nil, refused(err.Error())
	}
	return obj, nil
}

// clusterScoped are the kinds read from files that have no namespace.
var clusterScoped = map[string]bool{"GatewayClass": true, "Namespace": true, "ClusterTrustBundle": true}

// kindOf names the kind for a report; "unknown" keeps a rejection of a readable object apart from
// an unreadable document.
func kindOf(u *unstructured.Unstructured) string {
	if k := u.GetKind(); k != "" {
		return k
	}
	return "unknown"
}
