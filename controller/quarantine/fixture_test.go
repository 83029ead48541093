package quarantine

import (
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The fixture: Gateway default/a with a TLS socket on 443 (passthrough route tls-1, terminated
// route tls-2 with certificate Secret default/cert-2) and an HTTP socket on 80 (HTTPRoutes web-1
// and web-2 on one host); Gateway default/b with tls-1 on 443 too.
var (
	tls1 = model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "tls-1"}
	tls2 = model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "tls-2"}
	web1 = model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web-1"}
	web2 = model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web-2"}
)

func fixtureDataPlane() model.DataPlane {
	return model.DataPlane{
		Sockets: []model.Socket{
			{Address: "10.250.0.1", Port: 80, Gateway: "default/a", Protocol: model.SocketHTTP,
				VirtualHosts: []model.VirtualHost{
					{Hostname: "only-web-2.example.com", Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/", Backend: web2}}},
					{Hostname: "web.example.com", Rules: []model.HTTPRule{
						{PathType: model.PathExact, Path: "/one", Backend: web1},
						{PathType: model.PathPrefix, Path: "/", Headers: []model.HeaderMatch{{Name: "x", Value: "-1"}}, Backend: web2},
					}},
				}},
			{Address: "10.250.0.1", Port: 443, Gateway: "default/a", Protocol: model.SocketTLS,
				Passthrough:  []*model.SNIRoute{{Hostname: "one.example.com", Backend: tls1}},
				Terminate:    []*model.SNIRoute{{Hostname: "two.example.com", Backend: tls2}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "cert-2", SNIFilter: []string{"two.example.com"}, Fingerprint: "f2"}}},
			{Address: "10.250.0.2", Port: 443, Gateway: "default/b", Protocol: model.SocketTLS,
				Passthrough: []*model.SNIRoute{{Hostname: "one.example.com", Backend: tls1}}},
		},
		Backends: []*model.Backend{
			{ID: web1, HTTP: true, Servers: []model.Server{{Service: "web", Address: "10.244.0.1", Port: 80, Weight: 1}}},
			{ID: web2, HTTP: true, Servers: []model.Server{{Service: "web", Address: "10.244.0.2", Port: 80, Weight: 1}}},
			{ID: tls1, Servers: []model.Server{{Service: "one", Address: "10.244.0.3", Port: 443, Weight: 1}}},
			{ID: tls2, Servers: []model.Server{{Service: "two", Address: "10.244.0.4", Port: 80, Weight: 1}}},
		},
	}
}

func condition(conditionType string, ok bool, reason string) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: reason, ObservedGeneration: 3}
}

func programmedListener(name string) gatewayv1.ListenerStatus {
	return gatewayv1.ListenerStatus{Name: gatewayv1.SectionName(name), Conditions: []metav1.Condition{
		condition(string(gatewayv1.ListenerConditionAccepted), true, "Accepted"),
		condition(string(gatewayv1.ListenerConditionProgrammed), true, "Programmed"),
	}}
}

func acceptedParent(gateway string) gatewayv1.RouteParentStatus {
	return gatewayv1.RouteParentStatus{
		ParentRef:  gatewayv1.ParentReference{Name: gatewayv1.ObjectName(gateway)},
		Conditions: []metav1.Condition{condition(string(gatewayv1.RouteConditionAccepted), true, "Accepted")},
	}
}

// fixtureModel is the fixture's model as a build makes it: everything accepted and programmed.
func fixtureModel() *model.Model {
	gateway := func(name string, listeners ...string) model.Gateway {
		g := model.Gateway{Namespace: "default", Name: name, Conditions: []metav1.Condition{
			condition(string(gatewayv1.GatewayConditionAccepted), true, "Accepted"),
			condition(string(gatewayv1.GatewayConditionProgrammed), true, "Programmed"),
		}}
		for _, l := range listeners {
			g.Listeners = append(g.Listeners, programmedListener(l))
		}
		return g
	}
	return &model.Model{
		Gateways: []model.Gateway{gateway("a", "http", "tls-passthrough", "tls-terminate"), gateway("b", "tls")},
		Routes: []*model.Route{
			{Kind: "HTTPRoute", Namespace: "default", Name: "web-1", Parents: []gatewayv1.RouteParentStatus{acceptedParent("a")}},
			{Kind: "HTTPRoute", Namespace: "default", Name: "web-2", Parents: []gatewayv1.RouteParentStatus{acceptedParent("a")}},
			{Kind: "TLSRoute", Namespace: "default", Name: "tls-1", Parents: []gatewayv1.RouteParentStatus{acceptedParent("a"), acceptedParent("b")}},
			{Kind: "TLSRoute", Namespace: "default", Name: "tls-2", Parents: []gatewayv1.RouteParentStatus{acceptedParent("a")}},
		},
		DataPlane: fixtureDataPlane(),
	}
}

// fixtureGateways are the Gateway objects behind fixtureModel.
func fixtureGateways() []gatewayv1.Gateway {
	listener := func(name string, port gatewayv1.PortNumber, secret string) gatewayv1.Listener {
		l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Port: port}
		if secret != "" {
			l.TLS = &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(secret)}}}
		}
		return l
	}
	a := gatewayv1.Gateway{Spec: gatewayv1.GatewaySpec{Listeners: []gatewayv1.Listener{
		listener("http", 80, ""), listener("tls-passthrough", 443, ""), listener("tls-terminate", 443, "cert-2"),
	}}}
	a.Namespace, a.Name = "default", "a"
	b := gatewayv1.Gateway{Spec: gatewayv1.GatewaySpec{Listeners: []gatewayv1.Listener{listener("tls", 443, "")}}}
	b.Namespace, b.Name = "default", "b"
	return []gatewayv1.Gateway{a, b}
}
