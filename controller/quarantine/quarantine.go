package quarantine

import (
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"k8s.io/apimachinery/pkg/api/meta"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Entry is one part HAProxy refused.
type Entry struct {
	Part Part
	// Fingerprint is what the part was when HAProxy refused it: once the part is something else,
	// the entry no longer holds and the part is tried again.
	Fingerprint string
	// Message is HAProxy's.
	Message string
}

// Quarantine is the parts HAProxy refused, sorted by part. The zero value holds nothing.
type Quarantine struct {
	entries []Entry
}

// Entries are the parts held, sorted.
func (q Quarantine) Entries() []Entry { return slices.Clone(q.entries) }

// Len is how many parts are held.
func (q Quarantine) Len() int { return len(q.entries) }

// With adds entries, replacing any held for the same parts.
func (q Quarantine) With(found ...Entry) Quarantine {
	entries := slices.Clone(q.entries)
	for _, e := range found {
		entries = slices.DeleteFunc(entries, func(held Entry) bool { return held.Part == e.Part })
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return compareParts(a.Part, b.Part) })
	return Quarantine{entries: entries}
}

// Apply returns m without the parts held, with conditions on the objects they come from, and
// the quarantine of entries that still hold. An entry stops holding when its part changed or
// is gone: the part is then served again, and HAProxy's check decides anew. gateways are the
// Gateway objects, to tell which listeners a socket or certificate serves.
//
// It is pure: m and gateways are not changed; the result shares what it does not change with m.
//
// Conditions: a route left out of a Gateway is Accepted=False with reason UnsupportedValue (the
// spec's reason for a value the implementation does not support) on its parentRefs to that
// Gateway; a listener whose socket or certificate is left out is Programmed=False with reason
// Invalid; a Gateway none of whose listeners is programmed any more is Programmed=False with
// reason Invalid. Every message carries HAProxy's.
func (q Quarantine) Apply(m *model.Model, gateways []gatewayv1.Gateway) (*model.Model, Quarantine) {
	var held []Entry
	for _, e := range q.entries {
		if Fingerprint(m.DataPlane, e.Part) == e.Fingerprint {
			held = append(held, e)
		}
	}
	if len(held) == 0 {
		return m, Quarantine{}
	}
	out := *m
	parts := make([]Part, len(held))
	for i, e := range held {
		parts[i] = e.Part
	}
	out.DataPlane = Without(m.DataPlane, parts)
	out.Routes = slices.Clone(m.Routes)
	out.Gateways = slices.Clone(m.Gateways)
	for _, e := range held {
		if e.Part.Kind == RoutePart {
			refuseRoute(out.Routes, e)
			continue
		}
		i := slices.IndexFunc(out.Gateways, func(g model.Gateway) bool { return g.Namespace+"/"+g.Name == e.Part.Gateway })
		j := slices.IndexFunc(gateways, func(g gatewayv1.Gateway) bool { return g.Namespace+"/"+g.Name == e.Part.Gateway })
		if i >= 0 && j >= 0 {
			out.Gateways[i] = refuseListeners(out.Gateways[i], listenersOf(&gateways[j], m.Services, e.Part), e)
		}
	}
	return &out, Quarantine{entries: held}
}

// refuseRoute marks a route's parentRefs to the part's Gateway not accepted.
func refuseRoute(routes []*model.Route, e Entry) {
	r := e.Part.Route
	i := slices.IndexFunc(routes, func(m *model.Route) bool {
		return m.Kind == r.Kind && m.Namespace == r.Namespace && m.Name == r.Name
	})
	if i < 0 {
		return
	}
	// A copy: the model's routes are shared with the build, which keeps them for the next one.
	route := *routes[i]
	route.Parents = slices.Clone(route.Parents)
	for k, p := range route.Parents {
		namespace := route.Namespace
		if p.ParentRef.Namespace != nil {
			namespace = string(*p.ParentRef.Namespace)
		}
		if namespace+"/"+string(p.ParentRef.Name) != e.Part.Gateway {
			continue
		}
		p.Conditions = model.TurnedFalse(p.Conditions, string(gatewayv1.RouteConditionAccepted), string(gatewayv1.RouteReasonUnsupportedValue),
			"HAProxy refused this route's configuration on this Gateway, so it is not served there: "+e.Message)
		route.Parents[k] = p
	}
	routes[i] = &route
}

// refuseListeners marks the named listeners not programmed, and the Gateway too when none of its
// listeners is programmed any more.
func refuseListeners(g model.Gateway, names []gatewayv1.SectionName, e Entry) model.Gateway {
	if len(names) == 0 {
		return g
	}
	message := "HAProxy refused the configuration of " + e.Part.String() + ", so it is not served: " + e.Message
	g.Listeners = slices.Clone(g.Listeners)
	programmed := false
	for k, l := range g.Listeners {
		if slices.Contains(names, l.Name) {
			l.Conditions = model.TurnedFalse(l.Conditions, string(gatewayv1.ListenerConditionProgrammed), string(gatewayv1.ListenerReasonInvalid), message)
			g.Listeners[k] = l
		}
		programmed = programmed || meta.IsStatusConditionTrue(g.Listeners[k].Conditions, string(gatewayv1.ListenerConditionProgrammed))
	}
	if !programmed && meta.IsStatusConditionTrue(g.Conditions, string(gatewayv1.GatewayConditionProgrammed)) {
		g.Conditions = model.TurnedFalse(g.Conditions, string(gatewayv1.GatewayConditionProgrammed), string(gatewayv1.GatewayReasonInvalid),
			"No listener is programmed: "+message)
	}
	return g
}

// listenersOf names the Gateway's listeners a socket or certificate part serves: those on the
// part's port (the port HAProxy binds, which in Service address mode is the Service's target
// port for the listener's port) and, for a certificate, naming its Secret.
func listenersOf(gw *gatewayv1.Gateway, services []model.GatewayService, p Part) []gatewayv1.SectionName {
	bindPort := func(port int32) int32 {
		for _, s := range services {
			if s.Gateway != p.Gateway {
				continue
			}
			for _, sp := range s.Ports {
				if sp.Port == port {
					return sp.TargetPort
				}
			}
		}
		return port
	}
	var names []gatewayv1.SectionName
	for _, l := range gw.Spec.Listeners {
		if bindPort(int32(l.Port)) != p.Port {
			continue
		}
		if p.Kind == CertificatePart && !namesSecret(gw.Namespace, l.TLS, p.Secret) {
			continue
		}
		names = append(names, l.Name)
	}
	return names
}

func namesSecret(gatewayNamespace string, tls *gatewayv1.ListenerTLSConfig, secret string) bool {
	if tls == nil {
		return false
	}
	for _, ref := range tls.CertificateRefs {
		namespace := gatewayNamespace
		if ref.Namespace != nil {
			namespace = string(*ref.Namespace)
		}
		if namespace+"/"+string(ref.Name) == secret {
			return true
		}
	}
	return false
}
