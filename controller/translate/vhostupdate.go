package translate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A change of HTTPRoutes or GRPCRoutes touches the virtual hosts of the hostnames they claim, old
// and new. A virtual host's rules are those of every route serving its hostname on the listener
// the hostname selects, taken in placement order and then ordered by precedence (addHTTPListener),
// so UpdateRoutes keeps the claims on each virtual host in placement order (claimSocket.hosts)
// and builds only the touched virtual hosts again.

// compareHostClaims orders the claims on a virtual host as addHTTPListener takes a listener's
// attachments: the older route first, then by namespace and name, then HTTPRoutes before
// GRPCRoutes (the build places them in that order), then in the order of the route's own
// parentRefs and listeners.
func compareHostClaims(a, b claim) int {
	return cmp.Or(a.route.created.Compare(b.route.created),
		cmp.Compare(a.route.key.namespace, b.route.key.namespace), cmp.Compare(a.route.key.name, b.route.key.name),
		cmp.Compare(model.RouteKindOrder(a.route.key.kind), model.RouteKindOrder(b.route.key.kind)),
		cmp.Compare(a.parent, b.parent), cmp.Compare(a.bound, b.bound))
}

// virtualHost is the virtual host of a hostname as the claims on it make it; false when no route
// serves it. The first claim's kind takes the hostname: the other kind's routes lose it.
func (s *claimSocket) virtualHost(hostname string) (model.VirtualHost, bool) {
	list := s.hosts[hostname]
	if len(list) == 0 {
		return model.VirtualHost{}, false
	}
	kind := list[0].route.key.kind
	vh := model.VirtualHost{Hostname: hostname, Listener: string(list[0].listener.spec.Name)}
	type ruleOf struct {
		backend model.BackendID
		match   int
	}
	// The same route seen through two attachments adds its rules once, ranked as first seen.
	added := map[ruleOf]bool{}
	for _, c := range list {
		if c.route.key.kind != kind {
			continue
		}
		for _, r := range c.route.result.rules {
			if key := (ruleOf{r.Backend, r.Match}); !added[key] {
				added[key] = true
				r.HostnameRank = c.specificity
				vh.Rules = append(vh.Rules, r)
			}
		}
	}
	sortRules(vh.Rules)
	return vh, true
}

// setVirtualHost makes a hostname's virtual host on the socket what the claims on it make it now,
// or removes it.
func (p *modelPatch) setVirtualHost(s *claimSocket, hostname string) {
	at := p.socket(s)
	if at < 0 {
		return
	}
	if !p.virtualHostsCopied[at] {
		p.m.DataPlane.Sockets[at].VirtualHosts, p.virtualHostsCopied[at] = cloneWithRoom(p.m.DataPlane.Sockets[at].VirtualHosts), true
	}
	hosts := &p.m.DataPlane.Sockets[at].VirtualHosts
	i, found := slices.BinarySearchFunc(*hosts, hostname, func(v model.VirtualHost, h string) int { return strings.Compare(v.Hostname, h) })
	vh, ok := s.virtualHost(hostname)
	switch {
	case !ok && found:
		*hosts = slices.Delete(*hosts, i, i+1)
	case !ok:
	case found:
		(*hosts)[i] = vh
	default:
		*hosts = slices.Insert(*hosts, i, vh)
	}
}

// socket is the index of the claim socket's socket among the patched model's, copying the list
// of sockets the first time; -1 when the model has none such.
func (p *modelPatch) socket(s *claimSocket) int {
	at := slices.IndexFunc(p.m.DataPlane.Sockets, func(x model.Socket) bool {
		return x.Gateway == s.gateway && x.Address == s.address && x.Port == s.port
	})
	if at >= 0 && !p.socketsCopied {
		p.m.DataPlane.Sockets, p.socketsCopied = slices.Clone(p.m.DataPlane.Sockets), true
		p.passthroughCopied, p.terminateCopied, p.virtualHostsCopied = map[int]bool{}, map[int]bool{}, map[int]bool{}
	}
	return at
}
