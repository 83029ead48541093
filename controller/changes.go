package controller

import (
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
// lists are sorted; "Kind namespace/name" for routes, "namespace/name" for Gateways.
func touched(prev, next model.DataPlane) (gateways, routes []string) {
	gw, rt := map[string]bool{}, map[string]bool{}
	before := map[string]*model.Socket{}
	for i := range prev.Sockets {
		s := &prev.Sockets[i]
		before[socketKey(s)] = s
	}
	for i := range next.Sockets {
		s := &next.Sockets[i]
		old := before[socketKey(s)]
		delete(before, socketKey(s))
		if old != nil && reflect.DeepEqual(old, s) {
			continue
		}
		gw[s.Gateway] = true
		routesDiffering(old, s, rt)
	}
	for _, s := range before { // sockets gone
		gw[s.Gateway] = true
		routesDiffering(s, nil, rt)
	}
	backends := map[model.BackendID]*model.Backend{}
	for i := range prev.Backends {
		backends[prev.Backends[i].ID] = &prev.Backends[i]
	}
	for i := range next.Backends {
		b := &next.Backends[i]
		old, ok := backends[b.ID]
		delete(backends, b.ID)
		if !ok || old.HTTP != b.HTTP || old.Unresolved != b.Unresolved || !slices.Equal(old.Servers, b.Servers) {
			rt[routeName(b.ID)] = true
		}
	}
	for id := range backends { // backends gone
		rt[routeName(id)] = true
	}
	return sortedKeys(gw), sortedKeys(rt)
}

func socketKey(s *model.Socket) string { return fmt.Sprintf("%s:%d", s.Address, s.Port) }

func routeName(id model.BackendID) string { return id.Kind + " " + id.Namespace + "/" + id.Name }

// routesDiffering adds the routes whose entries (server names, HTTP rules) differ between two
// versions of one socket; either may be nil.
func routesDiffering(prev, next *model.Socket, out map[string]bool) {
	a, b := socketRoutes(prev), socketRoutes(next)
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

// socketRoutes is what each route serves on a socket, as comparable strings in model order.
func socketRoutes(s *model.Socket) map[string][]string {
	out := map[string][]string{}
	if s == nil {
		return out
	}
	for _, r := range s.Passthrough {
		out[routeName(r.Backend)] = append(out[routeName(r.Backend)], "passthrough "+r.Hostname+fmt.Sprint(r.Backend.Rule))
	}
	for _, r := range s.Terminate {
		out[routeName(r.Backend)] = append(out[routeName(r.Backend)], "terminate "+r.Hostname+fmt.Sprint(r.Backend.Rule))
	}
	for _, vh := range s.VirtualHosts {
		for _, rule := range vh.Rules {
			out[routeName(rule.Backend)] = append(out[routeName(rule.Backend)], fmt.Sprintf("http %s %s %+v", vh.Hostname, vh.Listener, rule))
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
