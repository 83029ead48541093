// Package translate turns a snapshot of Gateway API objects into a model: the status of every object
// and the data plane serving them. It is a pure function: no API calls, no clock, no HAProxy.
package translate

import (
	"net/netip"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Options are the controller's settings that change what a build decides.
type Options struct {
	// ControllerName is the GatewayClass spec.controllerName this controller answers to.
	ControllerName string
	// AddressPool is where Gateways get their addresses from, one each, bound by the proxy.
	AddressPool netip.Prefix
	// Services, when set, replaces the pool: each Gateway gets a Service of its own in front of the
	// proxy pods, and its address from that Service.
	Services *ServiceOptions
	// Reserved are ports the proxy's host uses for other things; listeners may not bind them.
	Reserved []ReservedPort
}

// gateway is one managed Gateway while the build works on it.
type gateway struct {
	spec        *gatewayv1.Gateway
	placement   placement
	listeners   []*listener
	attachments map[*listener][]attachment
	// clientCertificate is presented to TLS backends (spec.tls.backend); resolvedRefs says how
	// its reference resolved, nil without one.
	clientCertificate *model.Certificate
	resolvedRefs      *metav1.Condition
}

func (g *gateway) key() string { return g.spec.Namespace + "/" + g.spec.Name }

// Build computes the model for a snapshot.
func Build(s *snapshot.Snapshot, opts Options) *model.Model {
	return build(s, opts, nil)
}

// build is Build, taking each route's own result from b when it has it (b may be nil).
func build(s *snapshot.Snapshot, opts Options, b *Builder) *model.Model {
	in := newIndex(s)
	b.compareServices(in)
	classes, acceptedClasses := gatewayClasses(s.GatewayClasses, opts, s.CRDBundleVersion)

	var managed []*gatewayv1.Gateway
	for i := range s.Gateways {
		if acceptedClasses[string(s.Gateways[i].Spec.GatewayClassName)] {
			managed = append(managed, &s.Gateways[i])
		}
	}
	var placements map[*gatewayv1.Gateway]placement
	var services []model.GatewayService
	if opts.Services != nil {
		placements, services = placeOnServices(managed, in, *opts.Services)
	} else {
		placements = placeInPool(managed, opts.AddressPool)
	}

	gateways := map[types.NamespacedName]*gateway{}
	var ordered []*gateway
	for _, gw := range managed {
		g := &gateway{
			spec:        gw,
			placement:   placements[gw],
			listeners:   validateListeners(gw, in),
			attachments: map[*listener][]attachment{},
		}
		g.clientCertificate, g.resolvedRefs = backendClientCertificate(gw, in)
		b.presize(g)
		refuseReservedPorts(g, opts.Reserved)
		gateways[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}] = g
		ordered = append(ordered, g)
	}

	pending := make([]pendingRoute, 0, len(s.TLSRoutes)+len(s.HTTPRoutes)+len(s.GRPCRoutes))
	backends := make([]*model.Backend, 0, len(s.TLSRoutes)+len(s.HTTPRoutes)+len(s.GRPCRoutes))
	add := func(kind string, route metav1.Object, current []gatewayv1.RouteParentStatus, r *routeResult) {
		p := r.place(route, len(backends), gateways)
		backends = append(backends, r.backends...)
		has := r.hasStatus(current, opts.ControllerName)
		if has {
			pending = append(pending, p)
		}
		b.placed(kind, route, r, has)
	}
	for _, route := range s.TLSRoutes {
		add(kindTLSRoute, route, route.Status.Parents, b.result(kindTLSRoute, route, in, func() *routeResult { return tlsRoute(route, gateways, in, opts) }))
	}
	for _, route := range s.HTTPRoutes {
		add(kindHTTPRoute, route, route.Status.Parents, b.result(kindHTTPRoute, route, in, func() *routeResult { return httpRoute(route, gateways, in, opts) }))
	}
	for _, route := range s.GRPCRoutes {
		add(kindGRPCRoute, route, route.Status.Parents, b.result(kindGRPCRoute, route, in, func() *routeResult { return grpcRoute(route, gateways, in, opts) }))
	}

	// The data plane decides which route serves each hostname; route and listener status follow.
	m := &model.Model{GatewayClasses: classes, Services: services, Rejected: s.Rejected, DataPlane: dataPlane(ordered, backends)}
	m.Routes = make([]*model.Route, 0, len(pending))
	for _, p := range pending {
		m.Routes = append(m.Routes, p.finish())
	}
	for _, g := range ordered {
		m.Gateways = append(m.Gateways, gatewayStatus(g))
	}
	uses := in.policies.usesIn(s, in)
	m.BackendTLSPolicies = policyStatus(in.policies, uses, m.Routes, opts.ControllerName)
	b.remember(ordered, gateways, in, m, uses)
	return m
}
