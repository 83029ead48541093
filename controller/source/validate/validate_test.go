package validate

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gatewayapicrds "github.com/haproxy-gateway/haproxy-gateway/deploy/helm/haproxy-gateway/charts/gateway-api-crds"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// compiled is the validator every test shares: compiling the CRDs' CEL rules is the slow part.
var compiled = sync.OnceValues(func() (*Validator, error) {
	crds, err := fs.Sub(gatewayapicrds.FS, "crds")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	v, err := New(crds, func(gvk schema.GroupVersionKind) bool { return gvk.Version == "v1" })
	compileTime = time.Since(start)
	return v, err
})

var compileTime time.Duration

func validator(t *testing.T) *Validator {
	t.Helper()
	v, err := compiled()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// object decodes one YAML document as the files source does.
func object(t *testing.T, doc string) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

const httpRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s}
spec:
  parentRefs: [{name: gw}]
  hostnames: [%s]
  rules:
  - matches: [%s]
    backendRefs: [{name: svc, port: 80}]
`

func route(name, hostname, match string) string {
	return fmt.Sprintf(httpRoute, name, hostname, match)
}

func tlsRoute(hostnames string) string {
	return `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  hostnames: [` + hostnames + `]
  rules: [{backendRefs: [{name: svc, port: 443}]}]
`
}

// TestRefused holds objects an API server refuses, each with a piece of the message it gives.
func TestRefused(t *testing.T) {
	manyHostnames := make([]string, 1025)
	for i := range manyHostnames {
		manyHostnames[i] = fmt.Sprintf("h%d.example.com", i)
	}
	cases := []struct {
		name, doc, want string
	}{
		// OpenAPI schema: enums, patterns, lengths, list sizes.
		{"method with a newline", route("r", "a.example.com", `{method: "GET\nX-Injected: 1"}`), `spec.rules[0].matches[0].method: Unsupported value: "GET\nX-Injected: 1"`},
		{"hostname with a newline", route("r", `"a.example.com\nb"`, "{}"), `spec.hostnames[0]: Invalid value: "a.example.com\nb": spec.hostnames[0] in body should match`},
		{"hostname with a semicolon", route("r", `"a.example.com;b"`, "{}"), `spec.hostnames[0]: Invalid value: "a.example.com;b"`},
		{"header name with a colon", route("r", "a.example.com", `{headers: [{name: "x:y", value: v}]}`), `spec.rules[0].matches[0].headers[0].name: Invalid value: "x:y"`},
		{"port out of range", strings.Replace(route("r", "a.example.com", "{}"), "port: 80", "port: 70000", 1), `spec.rules[0].backendRefs[0].port: Invalid value: 70000: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535`},
		{"TLSRoute with 1025 hostnames", tlsRoute(strings.Join(manyHostnames, ",")), `spec.hostnames: Too many: 1025: must have at most 1024 items`},
		// CEL rules (x-kubernetes-validations).
		{"path not starting with /", route("r", "a.example.com", `{path: {type: PathPrefix, value: foo}}`), `value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`},
		{"TLSRoute hostname with a newline", tlsRoute(`"a.example.com\n"`), `spec.hostnames: Invalid value: Hostnames must be valid based on RFC-1123`},
		{"TLSRoute hostname that is an IP", tlsRoute("10.0.0.1"), `Hostnames cannot contain an IP`},
		{"filter type without its field", strings.Replace(route("r", "a.example.com", "{}"), "    backendRefs:", "    filters: [{type: RequestHeaderModifier}]\n    backendRefs:", 1), `filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type`},
		{"listener names not unique", `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: c
  listeners:
  - {name: a, protocol: HTTP, port: 80}
  - {name: a, protocol: HTTP, port: 81}
`, `Listener name must be unique within the Gateway`},
		// Metadata, for every kind.
		{"name ../../x", route("../../x", "a.example.com", "{}"), `metadata.name: Invalid value: "../../x": a lowercase RFC 1123 subdomain must consist of`},
		{"254-character name", route(strings.Repeat("a", 254), "a.example.com", "{}"), `metadata.name: Invalid value: "` + strings.Repeat("a", 254) + `": must be no more than 253 characters`},
		{"namespace with a slash", strings.Replace(route("r", "a.example.com", "{}"), "{name: r}", "{name: r, namespace: a/b}", 1), `metadata.namespace: Invalid value: "a/b"`},
		{"label that is not a string", strings.Replace(route("r", "a.example.com", "{}"), "{name: r}", "{name: r, labels: {a: [1]}}", 1), `metadata: Invalid value:`},
		{"Service name with a dot", "apiVersion: v1\nkind: Service\nmetadata: {name: a.b}\nspec: {ports: [{port: 80}]}\n", `metadata.name: Invalid value: "a.b": a DNS-1035 label must consist of`},
		{"Namespace name too long", "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + strings.Repeat("n", 64) + "}\n", `must be no more than 63 characters`},
		// Core kinds.
		{"TLS Secret without tls.key", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: Y2VydA==}\n", `data[tls.key]: Required value`},
		{"Secret key with a slash", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a/b: x}\n", `data[a/b]: Invalid value: "a/b"`},
		{"Service port 0", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 0}]}\n", `spec.ports[0].port: Invalid value: 0: must be between 1 and 65535`},
		{"Service ports without names", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}, {port: 81}]}\n", `spec.ports[0].name: Required value`},
		{"EndpointSlice address that is not an IP", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: [\"10.0.0.1\\nserver x\"]}]\n", `endpoints[0].addresses[0]: Invalid value: "10.0.0.1\nserver x": must be a valid IP address`},
		{"EndpointSlice IPv6 address in an IPv4 slice", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: [\"::1\"]}]\n", `must be an IPv4 address`},
		// Kinds standalone mode does not read.
		{"unsupported kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n", `kind: Unsupported value: "v1 Pod"`},
		{"ConfigMap key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {\"a b\": x}\n", `data[a b]: Invalid value: "a b"`},
		{"unserved version", strings.Replace(route("r", "a.example.com", "{}"), "/v1\n", "/v1beta1\n", 1), `kind: Unsupported value: "gateway.networking.k8s.io/v1beta1 HTTPRoute"`},
	}
	v := validator(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := object(t, c.doc)
			before := fmt.Sprint(obj)
			errs := v.Validate(context.Background(), obj)
			if len(errs) == 0 {
				t.Fatalf("accepted:\n%s", c.doc)
			}
			if !strings.Contains(errs.ToAggregate().Error(), c.want) {
				t.Errorf("messages do not say %q:\n%v", c.want, errs.ToAggregate())
			}
			if fmt.Sprint(obj) != before {
				t.Errorf("Validate changed the object")
			}
		})
	}
}

// TestAccepted holds objects an API server accepts, some close to the refused ones above: the
// CRDs allow '#' in a header name (an RFC 7230 token character), defaults fill what CEL rules
// read, and every object of the TLS routing example passes.
func TestAccepted(t *testing.T) {
	docs := map[string]string{
		"header name with #":         route("r", "a.example.com", `{headers: [{name: "x#y", value: v}]}`),
		"path match without type":    route("r", "a.example.com", `{path: {value: /foo}}`),
		"253-character name":         route(strings.Repeat("a", 253), "a.example.com", "{}"),
		"wildcard hostname":          tlsRoute(`"*.example.com"`),
		"TLS Secret from stringData": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: c, tls.key: k}\n",
		"loopback EndpointSlice":     "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: [127.0.0.1]}]\nports: [{name: tls, port: 9443}]\n",
		"unknown field":              strings.Replace(route("r", "a.example.com", "{}"), "spec:", "unknownTopLevel: 1\nspec:", 1),
		"status is ignored":          route("r", "a.example.com", "{}") + "status: {parents: bad}\n",
	}
	paths, _ := filepath.Glob("../../../deploy/examples/tls-routing/*.yaml")
	more, _ := filepath.Glob("../../../deploy/examples/tls-routing/*/*.yaml")
	for _, p := range append(paths, more...) {
		content, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		reader := utilyaml.NewYAMLReader(bufioReader(content))
		for i := 1; ; i++ {
			doc, err := reader.Read()
			if err != nil {
				break
			}
			docs[fmt.Sprintf("%s#%d", filepath.Base(p), i)] = string(doc)
		}
	}
	if len(docs) < 15 {
		t.Fatalf("found only %d documents; did the examples move?", len(docs))
	}
	v := validator(t)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			if errs := v.Validate(context.Background(), object(t, doc)); len(errs) > 0 {
				t.Errorf("refused: %v\n%s", errs.ToAggregate(), doc)
			}
		})
	}
}

// TestSecretMessagesHoldNoData: a refused Secret is reported by its keys, never its values.
func TestSecretMessagesHoldNoData(t *testing.T) {
	doc := "apiVersion: v1\nkind: Secret\nmetadata: {name: Bad_Name}\ntype: kubernetes.io/tls\nstringData: {tls.crt: PRIVATE-MATERIAL, bad/key: PRIVATE-MATERIAL}\n"
	errs := validator(t).Validate(context.Background(), object(t, doc))
	if len(errs) != 3 {
		t.Errorf("want name, key and tls.key errors, got %v", errs.ToAggregate())
	}
	if msg := errs.ToAggregate().Error(); strings.Contains(msg, "PRIVATE") {
		t.Errorf("messages hold Secret data: %s", msg)
	}
}

// TestCompileTime reports what compiling the CRDs costs, once per process.
func TestCompileTime(t *testing.T) {
	validator(t)
	t.Logf("compiled the CRDs in %v (zero when another test compiled them first)", compileTime)
}
