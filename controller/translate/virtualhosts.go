package translate

import (
	"cmp"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// addHTTPListener adds an HTTP or HTTPS listener to its socket: an HTTPS listener claims its
// hostname (or every name) for TLS ending at the proxy, with its certificates; the rules of its
// routes join the virtual host of each hostname they serve there, unless a more specific listener
// of the socket selects that hostname. Routes of one kind on a listener share a hostname: their
// rules merge. HTTPRoutes and GRPCRoutes do not: GRPCRoute forbids merging their rules, and
// lets an implementation give a hostname both claim to the oldest route (then the first by
// namespace/name), which is what happens here; the other kind's routes lose that hostname.
func addHTTPListener(sock *model.Socket, l *listener, socketListeners []*listener, attachments []attachment, used []bool) {
	if l.spec.Protocol == gatewayv1.HTTPSProtocolType {
		sock.HTTPS = append(sock.HTTPS, claimName(l))
		sock.HTTPSCertificates = append(sock.HTTPSCertificates, l.certificates...)
	}
	sorted := sortAttachments(attachments)
	// first is the oldest route serving each hostname here, whose kind the hostname takes; kept
	// only while the listener has routes of both kinds.
	var first map[string]*attachment
	if slices.ContainsFunc(sorted, func(a attachment) bool { return a.kind != sorted[0].kind }) {
		first = map[string]*attachment{}
	}
	for i := range sorted {
		a := &sorted[i]
		served := 0
		for k, h := range a.hostnames {
			if owner := selectListener(socketListeners, h); owner != l {
				a.verdict.shadowed(h, owner)
				continue
			}
			if first != nil {
				if older, ok := first[h]; !ok {
					first[h] = a
				} else if older.kind != a.kind {
					a.verdict.kindTaken(h, l, older.kind, older.route.GetNamespace(), older.route.GetName())
					continue
				}
			}
			served++
			vh := virtualHost(sock, h, string(l.spec.Name))
			for _, r := range a.rules {
				r.HostnameRank = a.specificity[k]
				// The same route seen through two listeners of one socket adds its rules once.
				if !slices.ContainsFunc(vh.Rules, func(x model.HTTPRule) bool { return equalRules(x, r) }) {
					vh.Rules = append(vh.Rules, r)
					a.use(used, r.Backend.Rule)
				}
			}
			sortRules(vh.Rules)
		}
		a.verdict.served += served
		if served == 0 {
			l.attached--
		}
	}
}

func virtualHost(sock *model.Socket, hostname, listener string) *model.VirtualHost {
	i := slices.IndexFunc(sock.VirtualHosts, func(v model.VirtualHost) bool { return v.Hostname == hostname })
	if i < 0 {
		sock.VirtualHosts = append(sock.VirtualHosts, model.VirtualHost{Hostname: hostname, Listener: listener})
		i = len(sock.VirtualHosts) - 1
	}
	return &sock.VirtualHosts[i]
}

// equalRules reports whether two rules are one match of one route rule.
func equalRules(a, b model.HTTPRule) bool {
	return a.Backend == b.Backend && a.Match == b.Match
}

// sortRules orders rules by the spec's precedence: the route naming the host most precisely
// (GEP-3567), then an exact path, then the longest prefix, then a method match, then the most
// header matches, then the most query parameter matches. Ties keep their order, which is the routes' age
// and then the rules' order within a route, as the spec asks.
func sortRules(rules []model.HTTPRule) {
	slices.SortStableFunc(rules, func(a, b model.HTTPRule) int {
		return cmp.Or(
			-cmp.Compare(a.HostnameRank, b.HostnameRank),
			-cmp.Compare(rank(a.PathType), rank(b.PathType)),
			-cmp.Compare(len(a.Path), len(b.Path)),
			-cmp.Compare(hasMethod(a), hasMethod(b)),
			-cmp.Compare(len(a.Headers), len(b.Headers)),
			-cmp.Compare(len(a.QueryParams), len(b.QueryParams)),
		)
	})
}

func hasMethod(r model.HTTPRule) int {
	if r.Method != "" {
		return 1
	}
	return 0
}

func rank(t model.PathMatchType) int {
	if t == model.PathExact {
		return 1
	}
	return 0
}
