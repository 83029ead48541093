package events

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func cond(t, status, reason, message string) metav1.Condition {
	return metav1.Condition{Type: t, Status: metav1.ConditionStatus(status), Reason: reason, Message: message}
}

// modelWith is one Gateway with listener "tls" and one TLSRoute attached to it.
func modelWith(listenerRefs, routeRefs, programmed metav1.Condition) *model.Model {
	section := gatewayv1.SectionName("tls")
	return &model.Model{
		Gateways: []model.Gateway{{Namespace: "infra", Name: "gw",
			Conditions: []metav1.Condition{cond("Accepted", "True", "Accepted", ""), programmed},
			Listeners: []gatewayv1.ListenerStatus{{Name: "tls", Conditions: []metav1.Condition{
				cond("Accepted", "True", "Accepted", ""), listenerRefs, cond("Conflicted", "False", "NoConflicts", "")}}},
		}},
		Routes: []*model.Route{{Kind: "TLSRoute", Namespace: "app", Name: "r", Parents: []gatewayv1.RouteParentStatus{{
			ParentRef:  gatewayv1.ParentReference{Name: "gw", Namespace: ptr(gatewayv1.Namespace("infra")), SectionName: &section},
			Conditions: []metav1.Condition{cond("Accepted", "True", "Accepted", ""), routeRefs},
		}}}},
	}
}

func ptr[T any](v T) *T { return &v }

func summary(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type+" "+e.Object.String()+" "+e.Reason)
	}
	return out
}

func TestTransitionsOncePerTransition(t *testing.T) {
	okRefs := cond("ResolvedRefs", "True", "ResolvedRefs", "")
	badCert := cond("ResolvedRefs", "False", "InvalidCertificateRef", "Secret infra/missing not found")
	badRoute := cond("ResolvedRefs", "False", "RefNotPermitted", "Service other/s: no ReferenceGrant")
	programmed := cond("Programmed", "True", "Programmed", "")
	pending := cond("Programmed", "False", "Pending", "HAProxy did not take the configuration: bad")
	steps := []struct {
		name string
		m    *model.Model
		want []string
	}{
		{"healthy start says nothing", modelWith(okRefs, okRefs, programmed), nil},
		{"two failures start", modelWith(badCert, badRoute, programmed),
			[]string{"Warning Gateway infra/gw InvalidCertificateRef", "Warning TLSRoute app/r RefNotPermitted"}},
		{"the same failures on the next pass say nothing", modelWith(badCert, badRoute, programmed), nil},
		{"a new message with the same reason says nothing",
			modelWith(cond("ResolvedRefs", "False", "InvalidCertificateRef", "other words"), badRoute, programmed), nil},
		{"a refused apply", modelWith(badCert, badRoute, pending), []string{"Warning Gateway infra/gw Pending"}},
		{"the route failing for another reason",
			modelWith(badCert, cond("ResolvedRefs", "False", "BackendNotFound", "no Service"), pending),
			[]string{"Warning TLSRoute app/r BackendNotFound"}},
		{"everything clears", modelWith(okRefs, okRefs, programmed),
			[]string{"Normal Gateway infra/gw Programmed", "Normal Gateway infra/gw ResolvedRefs", "Normal TLSRoute app/r ResolvedRefs"}},
		{"a failing object that goes away says nothing", &model.Model{}, nil},
	}
	var tr Transitions
	for _, s := range steps {
		got := summary(tr.Observe(s.m))
		if strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", s.name, got, s.want)
		}
	}
}

func TestTransitionNotesNameThePart(t *testing.T) {
	var tr Transitions
	evs := tr.Observe(modelWith(cond("ResolvedRefs", "False", "InvalidCertificateRef", "Secret infra/missing not found"),
		cond("Accepted", "False", "NotAllowedByListeners", "namespace app not allowed"), cond("Programmed", "True", "Programmed", "")))
	want := []string{
		"listener tls: ResolvedRefs is False: Secret infra/missing not found",
		"parent Gateway infra/gw listener tls: Accepted is False: namespace app not allowed",
	}
	if len(evs) != len(want) {
		t.Fatalf("events %v, want notes %q", evs, want)
	}
	for i, e := range evs {
		if e.Note != want[i] || e.Action != "Validate" {
			t.Errorf("event %d: note %q action %q, want note %q action Validate", i, e.Note, e.Action, want[i])
		}
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 600) // 1200 bytes
	got := truncate(s, maxNote)
	if len(got) > maxNote || !strings.HasSuffix(got, " ...") || !strings.HasPrefix(got, "éé") {
		t.Fatalf("truncate: %d bytes, %q...", len(got), got[:8])
	}
	if got := truncate("short", maxNote); got != "short" {
		t.Fatalf("truncate(short) = %q", got)
	}
}

// TestTransitionsEqualAFullLook checks Observe, which looks only at routes whose status list
// changed, against looking at every condition of every model: random models of a few routes,
// each keeping the list of the model before (as a build that reused the route's result does),
// taking a new one, failing, recovering, appearing or going.
func TestTransitionsEqualAFullLook(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	section := gatewayv1.SectionName("tls")
	reasons := []string{"RefNotPermitted", "BackendNotFound"}
	status := func() []gatewayv1.RouteParentStatus {
		refs := cond("ResolvedRefs", "True", "ResolvedRefs", "")
		if rng.IntN(3) == 0 {
			refs = cond("ResolvedRefs", "False", reasons[rng.IntN(2)], "")
		}
		accepted := cond("Accepted", "True", "Accepted", "")
		if rng.IntN(5) == 0 {
			accepted = cond("Accepted", "False", "NotAllowedByListeners", "")
		}
		return []gatewayv1.RouteParentStatus{{
			ParentRef:  gatewayv1.ParentReference{Name: "gw", Namespace: ptr(gatewayv1.Namespace("infra")), SectionName: &section},
			Conditions: []metav1.Condition{accepted, refs},
		}}
	}
	var tr Transitions
	full := map[conditionKey]string{}
	var last []*model.Route
	for step := range 300 {
		byName := map[string][]gatewayv1.RouteParentStatus{}
		for _, r := range last {
			byName[r.Namespace+"/"+r.Name] = r.Parents
		}
		m := &model.Model{}
		for _, ns := range []string{"a", "b"} {
			for i := range 8 {
				name := fmt.Sprintf("r%d", i)
				parents, existed := byName[ns+"/"+name]
				switch x := rng.IntN(10); {
				case x == 0:
					continue // gone, or still not there
				case !existed || x < 3:
					parents = status()
				}
				m.Routes = append(m.Routes, &model.Route{Kind: "TLSRoute", Namespace: ns, Name: name, Parents: parents})
			}
		}
		got := summary(tr.Observe(m))
		var want []string
		full, want = lookAtEverything(full, m)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("step %d:\n got %q\nwant %q", step, got, want)
		}
		last = m.Routes
	}
}

// lookAtEverything is Observe for the routes of m, looking at every condition.
func lookAtEverything(before map[conditionKey]string, m *model.Model) (map[conditionKey]string, []string) {
	failing := map[conditionKey]string{}
	var out []string
	for _, r := range m.Routes {
		for key, c := range routeConditions(*r) {
			bad, ok := routeWatched[c.Type]
			if !ok {
				continue
			}
			key.condition = c.Type
			reason, was := before[key]
			switch {
			case c.Status != bad && was:
				out = append(out, "Normal "+r.Kind+" "+r.Namespace+"/"+r.Name+" "+c.Reason)
			case c.Status == bad:
				failing[key] = c.Reason
				if !was || reason != c.Reason {
					out = append(out, "Warning "+r.Kind+" "+r.Namespace+"/"+r.Name+" "+c.Reason)
				}
			}
		}
	}
	return failing, out
}
