package translate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// dataPlane lays served listeners onto sockets. A hostname is served only by routes of the
// listener it selects (selection.go); where two routes claim one hostname on a listener the route
// whose own hostnames name it more specifically wins, then the older route (then namespace/name),
// as Gateway API's conflict rules ask. What each route lost is
// recorded in its verdicts, and a listener's attachedRoutes no longer counts a route that serves
// nothing there.
func dataPlane(gateways []*gateway, backends []*model.Backend) model.DataPlane {
	// Sized up front: with thousands of routes, growing these is much of a build's garbage.
	dp := model.DataPlane{Backends: make([]*model.Backend, 0, len(backends))}
	// used marks the backends some hostname or rule sends to, by their index in backends.
	used := make([]bool, len(backends))
	for _, g := range gateways {
		if !g.placement.bound {
			continue
		}
		sockets := map[int32]*model.Socket{}
		listeners := map[int32][]*listener{}
		var ports []int32
		for _, l := range g.listeners {
			if !l.served() {
				continue
			}
			port := g.placement.bindPort(int32(l.spec.Port))
			if sockets[port] == nil {
				sockets[port] = &model.Socket{Address: g.placement.bindAddress, Port: port, ListenerPort: int32(l.spec.Port),
					Gateway: g.key(), Protocol: socketProtocol(l.spec.Protocol)}
				ports = append(ports, port)
			}
			listeners[port] = append(listeners[port], l)
		}
		slices.Sort(ports)
		for _, p := range ports {
			sock := sockets[p]
			// The owner of each TLS hostname: one lookup per hostname instead of a scan of the
			// socket's routes, which made a build quadratic in routes.
			attached := 0
			for _, l := range listeners[p] {
				attached += len(g.attachments[l])
			}
			owners := make(map[string]*attachment, attached)
			best := bestClaims(listeners[p], g.attachments)
			for _, l := range listeners[p] {
				sock.Listeners = append(sock.Listeners, model.ListenerClaim{Listener: string(l.spec.Name), Hostname: claimName(l), Mode: listenerMode(l)})
				if l.spec.Protocol == gatewayv1.HTTPProtocolType || l.spec.Protocol == gatewayv1.HTTPSProtocolType {
					addHTTPListener(sock, l, listeners[p], g.attachments[l], used)
					continue
				}
				routes := &sock.Passthrough
				if l.mode() == gatewayv1.TLSModeTerminate {
					routes = &sock.Terminate
					sock.Certificates = append(sock.Certificates, l.certificates...)
				}
				*routes = slices.Grow(*routes, len(g.attachments[l]))
				sorted := g.attachments[l]
				for i := range sorted {
					a := &sorted[i]
					served := 0
					for k, h := range a.hostnames {
						if owner := selectListener(listeners[p], h); owner != l {
							a.verdict.shadowed(h, owner)
							continue
						}
						if older, taken := owners[h]; taken {
							a.verdict.taken(h, l, older.route.GetNamespace(), older.route.GetName())
							continue
						}
						if winner := best[h]; winner.route != a.route && winner.specificity > a.specificity[k] {
							a.verdict.taken(h, l, winner.route.GetNamespace(), winner.route.GetName())
							continue
						}
						owners[h] = a
						served++
						if a.sni != nil {
							*routes = append(*routes, a.sni[k])
						} else {
							*routes = append(*routes, &model.SNIRoute{Hostname: h, Backend: a.backend})
						}
						a.use(used, 0)
					}
					a.verdict.served += served
					if served == 0 {
						l.attached--
					}
				}
			}
			dp.Sockets = append(dp.Sockets, finishSocket(sock))
		}
	}
	for i, b := range backends {
		if used[i] {
			dp.Backends = append(dp.Backends, b)
		}
	}
	slices.SortFunc(dp.Sockets, func(a, b model.Socket) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	slices.SortFunc(dp.Backends, func(a, b *model.Backend) int { return model.CompareBackendIDs(a.ID, b.ID) })
	return dp
}

// finishSocket sorts a socket's routes by hostname and drops repeated certificate entries.
func finishSocket(s *model.Socket) model.Socket {
	byHost := func(a, b *model.SNIRoute) int { return strings.Compare(a.Hostname, b.Hostname) }
	slices.SortFunc(s.Passthrough, byHost)
	slices.SortFunc(s.Terminate, byHost)
	slices.Sort(s.HTTPS)
	slices.SortFunc(s.VirtualHosts, func(a, b model.VirtualHost) int { return strings.Compare(a.Hostname, b.Hostname) })
	slices.SortFunc(s.Listeners, func(a, b model.ListenerClaim) int { return strings.Compare(a.Hostname, b.Hostname) })
	s.Certificates = uniqueCertificates(s.Certificates)
	s.HTTPSCertificates = uniqueCertificates(s.HTTPSCertificates)
	return *s
}

func uniqueCertificates(in []model.Certificate) []model.Certificate {
	var certs []model.Certificate
	for _, c := range in {
		if !slices.ContainsFunc(certs, func(x model.Certificate) bool {
			return x.Namespace == c.Namespace && x.Name == c.Name && slices.Equal(x.SNIFilter, c.SNIFilter) && x.Options == c.Options
		}) {
			certs = append(certs, c)
		}
	}
	return certs
}

// sortAttachments orders a listener's attachments by the routes' age, then namespace and name,
// in place: the list is the build's own.
// claimOf is the route with the most specific claim on a hostname.
type claimOf struct {
	route       metav1.Object
	specificity int
}

// bestClaims sorts the TLS listeners' attachments and returns, for each hostname, the route that
// serves it: the one whose own hostnames name it most specifically (an exact name before a
// wildcard, a longer wildcard before a shorter one), the older of equals first.
func bestClaims(listeners []*listener, attachments map[*listener][]attachment) map[string]claimOf {
	best := map[string]claimOf{}
	for _, l := range listeners {
		if l.spec.Protocol == gatewayv1.HTTPProtocolType || l.spec.Protocol == gatewayv1.HTTPSProtocolType {
			continue
		}
		for _, a := range sortAttachments(attachments[l]) {
			for k, h := range a.hostnames {
				if selectListener(listeners, h) != l {
					continue
				}
				if w, ok := best[h]; !ok || a.specificity[k] > w.specificity {
					best[h] = claimOf{a.route, a.specificity[k]}
				}
			}
		}
	}
	return best
}

func sortAttachments(list []attachment) []attachment {
	slices.SortStableFunc(list, func(a, b attachment) int {
		ta, tb := a.route.GetCreationTimestamp(), b.route.GetCreationTimestamp()
		return cmp.Or(ta.Time.Compare(tb.Time),
			cmp.Compare(a.route.GetNamespace(), b.route.GetNamespace()),
			cmp.Compare(a.route.GetName(), b.route.GetName()))
	})
	return list
}
