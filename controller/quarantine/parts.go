// Package quarantine keeps what HAProxy refuses away from everything else. When a configuration
// fails HAProxy's check, Isolate finds the parts of the data plane responsible by checking it
// without them; Quarantine.Apply then leaves those parts out of later models and says so in the
// status of the objects behind them, so that every other object is still programmed.
package quarantine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Kind is what a part of the data plane comes from.
type Kind string

const (
	// RoutePart is one route on one Gateway: its SNI entries, virtual-host rules and backends
	// there.
	RoutePart Kind = "route"
	// CertificatePart is one certificate Secret on one socket of a Gateway: it belongs to the
	// Gateway's listeners on that port that name the Secret.
	CertificatePart Kind = "certificate"
	// SocketPart is one address and port of a Gateway with everything on it: its listeners there.
	SocketPart Kind = "socket"
)

// Part is one piece of a data plane that can be left out on its own.
type Part struct {
	Kind Kind
	// Gateway is the Gateway's namespace/name.
	Gateway string
	// Port is the socket's port (certificate and socket parts): the port HAProxy binds.
	Port int32
	// Route is the route (route parts): Kind, Namespace and Name of its backends' IDs.
	Route RouteRef
	// Secret is the certificate's Secret namespace/name (certificate parts).
	Secret string
}

// RouteRef names a route.
type RouteRef struct {
	Kind      string
	Namespace string
	Name      string
}

func routeOf(id model.BackendID) RouteRef {
	return RouteRef{Kind: id.Kind, Namespace: id.Namespace, Name: id.Name}
}

func (p Part) String() string {
	switch p.Kind {
	case RoutePart:
		return fmt.Sprintf("%s %s/%s on Gateway %s", p.Route.Kind, p.Route.Namespace, p.Route.Name, p.Gateway)
	case CertificatePart:
		return fmt.Sprintf("certificate Secret %s on Gateway %s port %d", p.Secret, p.Gateway, p.Port)
	}
	return fmt.Sprintf("Gateway %s port %d", p.Gateway, p.Port)
}

// order puts routes first, then certificates, then sockets: the search leaves parts out in this
// order, so a refusal is blamed on the smallest part that explains it (a route rather than the
// socket it is on).
var order = map[Kind]int{RoutePart: 0, CertificatePart: 1, SocketPart: 2}

func compareParts(a, b Part) int {
	return cmp.Or(cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(a.Gateway, b.Gateway), cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.Route.Kind, b.Route.Kind), cmp.Compare(a.Route.Namespace, b.Route.Namespace), cmp.Compare(a.Route.Name, b.Route.Name),
		cmp.Compare(a.Secret, b.Secret))
}

// Parts lists every part of a data plane, sorted.
func Parts(dp model.DataPlane) []Part {
	seen := map[Part]bool{}
	var parts []Part
	add := func(p Part) {
		if !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	for _, s := range dp.Sockets {
		for _, id := range socketBackends(s) {
			add(Part{Kind: RoutePart, Gateway: s.Gateway, Route: routeOf(id)})
		}
		for _, c := range slices.Concat(s.Certificates, s.HTTPSCertificates) {
			add(Part{Kind: CertificatePart, Gateway: s.Gateway, Port: s.Port, Secret: c.Namespace + "/" + c.Name})
		}
		add(Part{Kind: SocketPart, Gateway: s.Gateway, Port: s.Port})
	}
	slices.SortFunc(parts, compareParts)
	return parts
}

// socketBackends are the backends a socket's SNI entries and rules send to.
func socketBackends(s model.Socket) []model.BackendID {
	var ids []model.BackendID
	for _, r := range slices.Concat(s.Passthrough, s.Terminate) {
		ids = append(ids, r.Backend)
	}
	for _, vh := range s.VirtualHosts {
		for _, rule := range vh.Rules {
			ids = append(ids, rule.Backend)
		}
	}
	return ids
}

// Without returns dp without the parts: a route's entries and rules on that Gateway, a
// certificate on that socket, a whole socket; then every backend nothing sends to any more. A
// virtual host left without rules goes too, so its hostname falls to the next one that matches,
// as if the route were not there. dp is not changed.
func Without(dp model.DataPlane, parts []Part) model.DataPlane {
	if len(parts) == 0 {
		return dp
	}
	out := set(parts)
	var result model.DataPlane
	used := map[model.BackendID]bool{}
	keep := func(gateway string, id model.BackendID) bool {
		return !out[Part{Kind: RoutePart, Gateway: gateway, Route: routeOf(id)}]
	}
	for _, s := range dp.Sockets {
		if out[Part{Kind: SocketPart, Gateway: s.Gateway, Port: s.Port}] {
			continue
		}
		sniRoute := func(r *model.SNIRoute) bool { return keep(s.Gateway, r.Backend) }
		certificate := func(c model.Certificate) bool {
			return !out[Part{Kind: CertificatePart, Gateway: s.Gateway, Port: s.Port, Secret: c.Namespace + "/" + c.Name}]
		}
		s.Passthrough = filter(s.Passthrough, sniRoute)
		s.Terminate = filter(s.Terminate, sniRoute)
		s.Certificates = filter(s.Certificates, certificate)
		s.HTTPSCertificates = filter(s.HTTPSCertificates, certificate)
		var hosts []model.VirtualHost
		for _, vh := range s.VirtualHosts {
			vh.Rules = filter(vh.Rules, func(r model.HTTPRule) bool { return keep(s.Gateway, r.Backend) })
			if len(vh.Rules) > 0 {
				hosts = append(hosts, vh)
			}
		}
		s.VirtualHosts = hosts
		for _, id := range socketBackends(s) {
			used[id] = true
		}
		result.Sockets = append(result.Sockets, s)
	}
	result.Backends = filter(dp.Backends, func(b *model.Backend) bool { return used[b.ID] })
	return result
}

func set(parts []Part) map[Part]bool {
	out := make(map[Part]bool, len(parts))
	for _, p := range parts {
		out[p] = true
	}
	return out
}

// filter returns the items keep accepts, in a new slice (nil when none).
func filter[T any](items []T, keep func(T) bool) []T {
	var out []T
	for _, item := range items {
		if keep(item) {
			out = append(out, item)
		}
	}
	return out
}

// Fingerprint identifies what a part is in dp, so that a part HAProxy refused is tried again
// once it changes, and not before: a route's hostnames, rules and backends (not their servers:
// endpoints come and go and do not make a route acceptable), a certificate's content, a
// socket's address and HTTPS names. It is empty when dp has no such part.
func Fingerprint(dp model.DataPlane, p Part) string {
	var content []any
	for _, s := range dp.Sockets {
		if s.Gateway != p.Gateway || (p.Kind != RoutePart && s.Port != p.Port) {
			continue
		}
		switch p.Kind {
		case RoutePart:
			content = append(content, routeContent(dp, s, p.Route)...)
		case CertificatePart:
			for _, c := range slices.Concat(s.Certificates, s.HTTPSCertificates) {
				if c.Namespace+"/"+c.Name == p.Secret {
					content = append(content, c)
				}
			}
		case SocketPart:
			content = append(content, s.Address, s.Port, s.Protocol, s.HTTPS)
		}
	}
	if len(content) == 0 {
		return ""
	}
	data, _ := json.Marshal(content)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// routeContent is what a route is on one socket: its SNI entries, its rules with their hosts,
// and its backends without their servers.
func routeContent(dp model.DataPlane, s model.Socket, route RouteRef) []any {
	mine := func(id model.BackendID) bool { return routeOf(id) == route }
	var content []any
	for _, r := range s.Passthrough {
		if mine(r.Backend) {
			content = append(content, "passthrough", s.Port, r)
		}
	}
	for _, r := range s.Terminate {
		if mine(r.Backend) {
			content = append(content, "terminate", s.Port, r)
		}
	}
	for _, vh := range s.VirtualHosts {
		for _, r := range vh.Rules {
			if mine(r.Backend) {
				content = append(content, s.Port, vh.Hostname, r)
			}
		}
	}
	if len(content) == 0 {
		return nil
	}
	for _, b := range dp.Backends {
		if mine(b.ID) {
			content = append(content, b.ID, b.HTTP, b.GRPC, b.UnresolvedWeight)
		}
	}
	return content
}
