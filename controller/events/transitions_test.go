package events

import (
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
		Routes: []model.Route{{Kind: "TLSRoute", Namespace: "app", Name: "r", Parents: []gatewayv1.RouteParentStatus{{
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
