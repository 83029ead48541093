package controller

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// maxNamed is how many Gateways or routes a log line names before "and N more".
const maxNamed = 10

// touched names the Gateways and routes whose part of the data plane differs between prev and
// next: a Gateway when one of its sockets changed (listeners, hostnames, certificates, routing),
// a route when its backend (endpoints, weights) or its place in a socket's routing changed. Both
// lists are sorted; "Kind namespace/name" for routes, "namespace/name" for Gateways. It runs on
// every change, so it compares by value and allocates only for what differs.
func touched(prev, next model.DataPlane) (gateways, routes []string) {
	gw, rt := map[string]bool{}, map[routeKey]bool{}
	type socketKey struct {
		address string
		port    int32
	}
	before := map[socketKey]*model.Socket{}
	for i := range prev.Sockets {
		s := &prev.Sockets[i]
		before[socketKey{s.Address, s.Port}] = s
	}
	for i := range next.Sockets {
		s := &next.Sockets[i]
		key := socketKey{s.Address, s.Port}
		old := before[key]
		delete(before, key)
		if old != nil && sameSocket(old, s) {
			continue
		}
		gw[s.Gateway] = true
		routesDiffering(old, s, rt)
	}
	for _, s := range before { // sockets gone
		gw[s.Gateway] = true
		routesDiffering(s, nil, rt)
	}
	backendsDiffering(prev.Backends, next.Backends, rt)
	names := make(map[string]bool, len(rt))
	for r := range rt {
		names[r.kind+" "+r.namespace+"/"+r.name] = true
	}
	return sortedKeys(gw), sortedKeys(names)
}

// backendsDiffering adds the routes of backends that are in one list and not the other, or differ
// in what they serve. Both lists are walked in the model's order (by ID) without a map; a list
// not in that order (a data plane made by hand) is walked sorted.
func backendsDiffering(prev, next []*model.Backend, out map[routeKey]bool) {
	inOrder := func(l []*model.Backend) []*model.Backend {
		if slices.IsSortedFunc(l, compareBackends) {
			return l
		}
		return slices.SortedFunc(slices.Values(l), compareBackends)
	}
	model.WalkSorted(inOrder(prev), inOrder(next), compareBackends, func(x, y **model.Backend) {
		switch {
		case y == nil:
			out[routeOf((*x).ID)] = true
		case x == nil:
			out[routeOf((*y).ID)] = true
		case *x == *y:
			// Models share the backends a change did not touch.
		case differentBackends(*x, *y):
			out[routeOf((*y).ID)] = true
		}
	})
}

// differentBackends reports whether two versions of a backend serve differently.
func differentBackends(a, b *model.Backend) bool {
	return a.HTTP != b.HTTP || a.GRPC != b.GRPC || a.UnresolvedWeight != b.UnresolvedWeight || !slices.Equal(a.Servers, b.Servers)
}

// compareBackends orders backends by ID, as the model lists them.
func compareBackends(a, b *model.Backend) int { return model.CompareBackendIDs(a.ID, b.ID) }

// routeKey is a route, without the rule of a BackendID.
type routeKey struct{ kind, namespace, name string }

func routeOf(id model.BackendID) routeKey { return routeKey{id.Kind, id.Namespace, id.Name} }

func routeName(id model.BackendID) string { return id.Kind + " " + id.Namespace + "/" + id.Name }

// sameSocket reports whether two versions of a socket are equal, comparing the long lists (one
// entry per route) by value.
func sameSocket(a, b *model.Socket) bool {
	return a.Gateway == b.Gateway && a.Protocol == b.Protocol &&
		slices.EqualFunc(a.Passthrough, b.Passthrough, model.SameSNIRoute) && slices.EqualFunc(a.Terminate, b.Terminate, model.SameSNIRoute) &&
		slices.Equal(a.HTTPS, b.HTTPS) && slices.Equal(a.Listeners, b.Listeners) &&
		reflect.DeepEqual(a.Certificates, b.Certificates) && reflect.DeepEqual(a.HTTPSCertificates, b.HTTPSCertificates) &&
		reflect.DeepEqual(a.VirtualHosts, b.VirtualHosts)
}

// ruleText prints an HTTP rule with what its pointers point at (filters, timeouts), so that two
// builds of one rule print the same.
func ruleText(r model.HTTPRule) string {
	text, _ := json.Marshal(r)
	return string(text)
}

// routeEntry is one thing a route serves on a socket.
type routeEntry struct {
	mode, hostname, listener string
	rule                     int
	// http is an HTTP rule's conditions, printed (HTTP rules only).
	http string
}

// routesDiffering adds the routes whose entries (server names, HTTP rules) differ between two
// versions of one socket; either may be nil.
func routesDiffering(prev, next *model.Socket, out map[routeKey]bool) {
	var before, after model.Socket
	if prev != nil {
		before = *prev
	}
	if next != nil {
		after = *next
	}
	if sniDiffering(before.Passthrough, after.Passthrough, out) && sniDiffering(before.Terminate, after.Terminate, out) {
		// The SNI routes are done; what is left to compare is HTTP routing.
		before.Passthrough, before.Terminate, after.Passthrough, after.Terminate = nil, nil, nil, nil
	}
	a, b := socketRoutes(&before), socketRoutes(&after)
	for route, entries := range b {
		if !slices.Equal(a[route], entries) {
			out[route] = true
		}
		delete(a, route)
	}
	for route := range a {
		out[route] = true
	}
}

// sniDiffering adds the routes of the SNI routes that are in one list and not the other, walking
// both in hostname order (the model's) without copying them; false, with nothing added, when a
// list is not in strict hostname order.
func sniDiffering(a, b []*model.SNIRoute, out map[routeKey]bool) bool {
	byHost := func(x, y *model.SNIRoute) int { return strings.Compare(x.Hostname, y.Hostname) }
	strictly := func(l []*model.SNIRoute) bool {
		for i := 1; i < len(l); i++ {
			if byHost(l[i-1], l[i]) >= 0 {
				return false
			}
		}
		return true
	}
	if !strictly(a) || !strictly(b) {
		return false
	}
	model.WalkSorted(a, b, byHost, func(x, y **model.SNIRoute) {
		switch {
		case y == nil:
			out[routeOf((*x).Backend)] = true
		case x == nil:
			out[routeOf((*y).Backend)] = true
		case !model.SameSNIRoute(*x, *y):
			out[routeOf((*x).Backend)], out[routeOf((*y).Backend)] = true, true
		}
	})
	return true
}

// socketRoutes is what each route serves on a socket, in model order.
func socketRoutes(s *model.Socket) map[routeKey][]routeEntry {
	out := map[routeKey][]routeEntry{}
	if s == nil {
		return out
	}
	for _, r := range s.Passthrough {
		out[routeOf(r.Backend)] = append(out[routeOf(r.Backend)], routeEntry{mode: "passthrough", hostname: r.Hostname, rule: r.Backend.Rule})
	}
	for _, r := range s.Terminate {
		out[routeOf(r.Backend)] = append(out[routeOf(r.Backend)], routeEntry{mode: "terminate", hostname: r.Hostname, rule: r.Backend.Rule})
	}
	for _, vh := range s.VirtualHosts {
		for _, rule := range vh.Rules {
			e := routeEntry{mode: "http", hostname: vh.Hostname, listener: vh.Listener, rule: rule.Backend.Rule, http: ruleText(rule)}
			out[routeOf(rule.Backend)] = append(out[routeOf(rule.Backend)], e)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// bounded joins names, at most maxNamed of them, then "and N more".
func bounded(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}

// spareNames says which route each spare backend serves, as "spare:3=tlsroute:ns:name:rule0",
// bounded like the other names.
func spareNames(spares map[string]string) string {
	names := make([]string, 0, len(spares))
	for route, spare := range spares {
		names = append(names, spare+"="+route)
	}
	slices.Sort(names)
	return bounded(names)
}
