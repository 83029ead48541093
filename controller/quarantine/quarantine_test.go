package quarantine

import (
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const haproxySaid = "parsing [haproxy.cfg:57] : '-1' is not a valid ACL option."

func entry(p Part) Entry {
	return Entry{Part: p, Fingerprint: Fingerprint(fixtureDataPlane(), p), Message: haproxySaid}
}

// status is one condition of the model, as "Status Reason", or "" when it is missing.
type status struct {
	where, conditionType, want string
}

func (s status) read(m *model.Model) (string, string) {
	var conditions []metav1.Condition
	fields := strings.Fields(s.where + " ")
	kind, name, rest := fields[0], fields[1], strings.Join(fields[2:], "")
	switch kind {
	case "gateway":
		g := m.Gateways[slices.IndexFunc(m.Gateways, func(g model.Gateway) bool { return g.Name == name })]
		conditions = g.Conditions
		if rest != "" {
			conditions = g.Listeners[slices.IndexFunc(g.Listeners, func(l gatewayv1.ListenerStatus) bool { return string(l.Name) == rest })].Conditions
		}
	case "route":
		r := m.Routes[slices.IndexFunc(m.Routes, func(r *model.Route) bool { return r.Name == name })]
		conditions = r.Parents[slices.IndexFunc(r.Parents, func(p gatewayv1.RouteParentStatus) bool { return string(p.ParentRef.Name) == rest })].Conditions
	}
	c := meta.FindStatusCondition(conditions, s.conditionType)
	if c == nil {
		return "", ""
	}
	return string(c.Status) + " " + c.Reason, c.Message
}

const (
	accepted   = "Accepted"
	programmed = "Programmed"
)

// TestApply: model in -> quarantine -> data plane and conditions out.
func TestApply(t *testing.T) {
	tests := []struct {
		name      string
		held      []Entry
		edit      func(*model.Model, []gatewayv1.Gateway)
		dataPlane func(*model.DataPlane)
		statuses  []status
		lifted    int
	}{
		{
			name:      "a route refused on one Gateway is not accepted there, and is served on the other",
			held:      []Entry{entry(route("default/a", tls1))},
			dataPlane: func(dp *model.DataPlane) { dp.Sockets[1].Passthrough = nil },
			statuses: []status{
				{"route tls-1 a", accepted, "False UnsupportedValue"},
				{"route tls-1 b", accepted, "True Accepted"},
				{"gateway a tls-passthrough", programmed, "True Programmed"},
				{"gateway a", programmed, "True Programmed"},
			},
		},
		{
			name:      "a certificate refused: its listener is not programmed, the one beside it on its port is",
			held:      []Entry{entry(cert2)},
			dataPlane: func(dp *model.DataPlane) { dp.Sockets[1].Certificates = nil },
			statuses: []status{
				{"gateway a tls-terminate", programmed, "False Invalid"},
				{"gateway a tls-passthrough", programmed, "True Programmed"},
				{"gateway a", programmed, "True Programmed"},
				{"route tls-2 a", accepted, "True Accepted"},
			},
		},
		{
			name: "every socket of a Gateway refused: the Gateway is not programmed",
			held: []Entry{entry(Part{Kind: SocketPart, Gateway: "default/b", Port: 443})},
			dataPlane: func(dp *model.DataPlane) {
				dp.Sockets = dp.Sockets[:2]
			},
			statuses: []status{
				{"gateway b tls", programmed, "False Invalid"},
				{"gateway b", programmed, "False Invalid"},
				{"gateway a", programmed, "True Programmed"},
			},
		},
		{
			name: "Service address mode: the socket's port is the listener port's target port",
			held: []Entry{entry(Part{Kind: SocketPart, Gateway: "default/b", Port: 443})},
			edit: func(m *model.Model, gateways []gatewayv1.Gateway) {
				m.Services = []model.GatewayService{{Gateway: "default/b", Ports: []model.ServicePort{{Port: 443, TargetPort: 10443}, {Port: 8443, TargetPort: 443}}}}
				m.Gateways[1].Listeners = append(m.Gateways[1].Listeners, programmedListener("other"))
				gateways[1].Spec.Listeners = append(gateways[1].Spec.Listeners, gatewayv1.Listener{Name: "other", Port: 8443})
			},
			dataPlane: func(dp *model.DataPlane) { dp.Sockets = dp.Sockets[:2] },
			statuses: []status{
				{"gateway b tls", programmed, "True Programmed"},
				{"gateway b other", programmed, "False Invalid"},
			},
		},
		{
			name: "a route that changed since HAProxy refused it is tried again",
			held: []Entry{entry(route("default/a", web2)), entry(cert2)},
			edit: func(m *model.Model, _ []gatewayv1.Gateway) {
				m.DataPlane.Sockets[0].VirtualHosts[1].Rules[1].Headers[0].Value = "'-1'"
			},
			dataPlane: func(dp *model.DataPlane) {
				dp.Sockets[0].VirtualHosts[1].Rules[1].Headers[0].Value = "'-1'"
				dp.Sockets[1].Certificates = nil
			},
			statuses: []status{{"route web-2 a", accepted, "True Accepted"}, {"gateway a tls-terminate", programmed, "False Invalid"}},
			lifted:   1,
		},
		{
			name: "a route gone since is forgotten",
			held: []Entry{entry(route("default/a", web1))},
			edit: func(m *model.Model, _ []gatewayv1.Gateway) {
				m.DataPlane.Sockets[0].VirtualHosts[1].Rules = m.DataPlane.Sockets[0].VirtualHosts[1].Rules[1:]
			},
			statuses: []status{{"route web-1 a", accepted, "True Accepted"}},
			lifted:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, gateways := fixtureModel(), fixtureGateways()
			if tt.edit != nil {
				tt.edit(in, gateways)
			}
			before := jsonOf(t, in)
			out, held := Quarantine{}.With(tt.held...).Apply(in, gateways)
			if jsonOf(t, in) != before {
				t.Fatal("Apply changed its input model")
			}
			want := in.DataPlane
			if tt.dataPlane != nil {
				want = fixtureDataPlane()
				tt.dataPlane(&want)
			}
			if jsonOf(t, out.DataPlane) != jsonOf(t, want) {
				t.Errorf("data plane:\n%s\nwant:\n%s", jsonOf(t, out.DataPlane), jsonOf(t, want))
			}
			for _, s := range tt.statuses {
				got, message := s.read(out)
				if got != s.want {
					t.Errorf("%s %s: %q, want %q", s.where, s.conditionType, got, s.want)
				}
				if strings.HasPrefix(got, "False") && !strings.Contains(message, haproxySaid) {
					t.Errorf("%s %s: message %q does not carry HAProxy's", s.where, s.conditionType, message)
				}
			}
			if got := len(tt.held) - len(held.Entries()); got != tt.lifted {
				t.Errorf("%d entries lifted, want %d", got, tt.lifted)
			}
		})
	}
}
