package source

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeJSON is a route as the API server sends it, status included; %s is its kind, %d its number.
const routeJSON = `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"%s","metadata":{"name":"r-%d","namespace":"team-a","uid":"uid-%d","resourceVersion":"%d","generation":1},
"spec":{"parentRefs":[{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"shared","namespace":"infra","sectionName":"tls"}],"hostnames":["r-%d.example.com"],
"rules":[{"matches":%s,"backendRefs":[{"group":"","kind":"Service","name":"app","namespace":"team-a","port":8443,"weight":1}]}]},
"status":{"parents":[{"parentRef":{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"shared","namespace":"infra","sectionName":"tls"},"controllerName":"haproxy-gateway.io/gateway-controller",
"conditions":[{"type":"Accepted","status":"True","observedGeneration":1,"lastTransitionTime":"2026-12-01T19:33:20Z","reason":"Accepted","message":"Route is accepted."}]}]}}`

var matchesOf = map[string]string{
	"TLSRoute":  `null`,
	"HTTPRoute": `[{"path":{"type":"PathPrefix","value":"/app"},"method":"GET"}]`,
	"GRPCRoute": `[{"method":{"type":"Exact","service":"echo.Echo","method":"Say"}}]`,
}

func decodeRoute(t *testing.T, kind string, n int) any {
	t.Helper()
	raw := fmt.Sprintf(routeJSON, kind, n, n, n, n, matchesOf[kind])
	obj, _, err := serializer.NewCodecFactory(Scheme()).UniversalDeserializer().Decode([]byte(raw), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// sameString tells whether two strings are one copy in memory.
func sameString[T ~string](a, b T) bool {
	return len(a) > 0 && unsafe.StringData(string(a)) == unsafe.StringData(string(b))
}

func TestRoutesShareRepeatedValues(t *testing.T) {
	transform := (&sharedValues{}).sharing(func(obj any) (any, error) { return obj, nil })
	for _, kind := range []string{"TLSRoute", "HTTPRoute", "GRPCRoute"} {
		t.Run(kind, func(t *testing.T) {
			var routes [2]any
			for i := range routes {
				decoded := decodeRoute(t, kind, i)
				want := decodeRoute(t, kind, i)
				got, err := transform(decoded)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("sharing values changed the route (-before +after):\n%s", diff)
				}
				routes[i] = got
			}
			a, b := parts(routes[0]), parts(routes[1])
			for _, shared := range []struct {
				what string
				same bool
			}{
				{"namespace", sameString(a.namespace, b.namespace)},
				{"parentRef group", a.parent.Group == b.parent.Group},
				{"parentRef kind", a.parent.Kind == b.parent.Kind},
				{"parentRef namespace", a.parent.Namespace == b.parent.Namespace},
				{"parentRef sectionName", a.parent.SectionName == b.parent.SectionName},
				{"parentRef name", sameString(a.parent.Name, b.parent.Name)},
				{"status parentRef group", a.status.ParentRef.Group == b.parent.Group},
				{"controllerName", sameString(a.status.ControllerName, b.status.ControllerName)},
				{"condition message", sameString(a.status.Conditions[0].Message, b.status.Conditions[0].Message)},
				{"condition reason", sameString(a.status.Conditions[0].Reason, b.status.Conditions[0].Reason)},
				{"status parents", &a.parents[0] == &b.parents[0]},
				{"backendRef kind", a.backend.Kind == b.backend.Kind},
				{"backendRef namespace", a.backend.Namespace == b.backend.Namespace},
				{"backendRef name", sameString(a.backend.Name, b.backend.Name)},
				{"match", a.match != nil && a.match == b.match || kind == "TLSRoute"},
			} {
				if !shared.same {
					t.Errorf("two routes hold a copy each of their %s", shared.what)
				}
			}
			if sameString(a.hostname, b.hostname) {
				t.Error("different hostnames share storage")
			}
		})
	}
}

// routeParts are the values of a route that TestRoutesShareRepeatedValues compares.
type routeParts struct {
	namespace, hostname string
	parent              gatewayv1.ParentReference
	status              gatewayv1.RouteParentStatus
	parents             []gatewayv1.RouteParentStatus
	backend             gatewayv1.BackendObjectReference
	// match is the route's first match's shared pointer: path type, or gRPC method match type.
	match any
}

func parts(obj any) routeParts {
	switch r := obj.(type) {
	case *gatewayv1.TLSRoute:
		return routeParts{r.Namespace, string(r.Spec.Hostnames[0]), r.Spec.ParentRefs[0], r.Status.Parents[0], r.Status.Parents,
			r.Spec.Rules[0].BackendRefs[0].BackendObjectReference, nil}
	case *gatewayv1.HTTPRoute:
		rule := r.Spec.Rules[0]
		return routeParts{r.Namespace, string(r.Spec.Hostnames[0]), r.Spec.ParentRefs[0], r.Status.Parents[0], r.Status.Parents,
			rule.BackendRefs[0].BackendObjectReference, rule.Matches[0].Path.Type}
	case *gatewayv1.GRPCRoute:
		rule := r.Spec.Rules[0]
		return routeParts{r.Namespace, string(r.Spec.Hostnames[0]), r.Spec.ParentRefs[0], r.Status.Parents[0], r.Status.Parents,
			rule.BackendRefs[0].BackendObjectReference, rule.Matches[0].Method.Type}
	}
	panic(fmt.Sprintf("not a route: %T", obj))
}

// Routes share a status only when every field of it is equal.
func TestRouteStatusesSharedOnlyWhenEqual(t *testing.T) {
	transform := (&sharedValues{}).sharing(func(obj any) (any, error) { return obj, nil })
	first, _ := transform(decodeRoute(t, "TLSRoute", 0))
	parents := first.(*gatewayv1.TLSRoute).Status.Parents
	for _, c := range []struct {
		name   string
		change func(*gatewayv1.RouteParentStatus)
		shared bool
	}{
		{"equal", func(*gatewayv1.RouteParentStatus) {}, true},
		{"written a second later", func(p *gatewayv1.RouteParentStatus) {
			p.Conditions[0].LastTransitionTime.Time = p.Conditions[0].LastTransitionTime.Add(time.Second)
		}, false},
		{"another generation", func(p *gatewayv1.RouteParentStatus) { p.Conditions[0].ObservedGeneration++ }, false},
		{"another message", func(p *gatewayv1.RouteParentStatus) { p.Conditions[0].Message += " " }, false},
		{"another reason", func(p *gatewayv1.RouteParentStatus) { p.Conditions[0].Reason = "NotAllowedByListeners" }, false},
		{"another controller", func(p *gatewayv1.RouteParentStatus) { p.ControllerName = "example.com/other" }, false},
		{"another listener", func(p *gatewayv1.RouteParentStatus) { p.ParentRef.SectionName = new(gatewayv1.SectionName("other")) }, false},
		{"a port", func(p *gatewayv1.RouteParentStatus) { p.ParentRef.Port = new(gatewayv1.PortNumber(443)) }, false},
		{"a second condition", func(p *gatewayv1.RouteParentStatus) {
			p.Conditions = append(p.Conditions, metav1.Condition{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs"})
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			route := decodeRoute(t, "TLSRoute", 1).(*gatewayv1.TLSRoute)
			c.change(&route.Status.Parents[0])
			want := route.DeepCopy()
			got, _ := transform(route)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("sharing changed the route (-before +after):\n%s", diff)
			}
			if shared := &got.(*gatewayv1.TLSRoute).Status.Parents[0] == &parents[0]; shared != c.shared {
				t.Errorf("status shared with the first route: %v, want %v", shared, c.shared)
			}
		})
	}
}

// A copy the status writer gets and changes must leave the cached routes as they are, though
// they share values.
func TestSharedValuesSurviveChangedCopies(t *testing.T) {
	transform := (&sharedValues{}).sharing(func(obj any) (any, error) { return obj, nil })
	first, _ := transform(decodeRoute(t, "TLSRoute", 0))
	second, _ := transform(decodeRoute(t, "TLSRoute", 1))
	copied := first.(*gatewayv1.TLSRoute).DeepCopy()
	*copied.Spec.ParentRefs[0].Group = "changed.example.com"
	*copied.Status.Parents[0].ParentRef.SectionName = "changed"
	for _, r := range []*gatewayv1.TLSRoute{first.(*gatewayv1.TLSRoute), second.(*gatewayv1.TLSRoute)} {
		if g := *r.Spec.ParentRefs[0].Group; g != gatewayv1.GroupName {
			t.Errorf("route %s: parentRef group %q after a copy changed", r.Name, g)
		}
		if s := *r.Status.Parents[0].ParentRef.SectionName; s != "tls" {
			t.Errorf("route %s: status sectionName %q after a copy changed", r.Name, s)
		}
	}
}

func TestSharedValueTablesAreBounded(t *testing.T) {
	var names stringTable
	first := names.of(fmt.Sprint("name-", 0))
	for i := 1; i < maxShared; i++ {
		names.of(fmt.Sprint("name-", i))
	}
	if again := names.of(fmt.Sprint("name-", 0)); !sameString(again, first) {
		t.Fatal("a table below its bound forgot a value")
	}
	names.of("one too many")
	if len(names) != 1 {
		t.Fatalf("a table past its bound holds %d values, want 1 (started again)", len(names))
	}
	var sections table[gatewayv1.SectionName]
	for i := range maxShared + 1 {
		v := gatewayv1.SectionName(fmt.Sprint("section-", i))
		sections.of(&v)
	}
	if len(sections) != 1 {
		t.Fatalf("a pointer table past its bound holds %d values, want 1", len(sections))
	}
}
