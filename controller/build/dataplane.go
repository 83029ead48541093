package build

import (
	"cmp"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// dataPlane lays served listeners onto sockets. Where two routes claim one hostname on a socket the
// older route wins (then namespace/name), as Gateway API's conflict rules ask.
func dataPlane(gateways []*gateway, backends []model.Backend) model.DataPlane {
	var dp model.DataPlane
	used := map[model.BackendID]bool{}
	// Hostnames each socket's TLS routes claimed: one lookup per hostname instead of a scan of
	// the socket's routes, which made a build quadratic in routes (a quarter of the controller's
	// CPU at 10,000 routes).
	claimedSNI := map[*model.Socket]map[string]bool{}
	for _, g := range gateways {
		if !g.placement.bound {
			continue
		}
		sockets := map[int32]*model.Socket{}
		var ports []int32
		for _, l := range g.listeners {
			if !l.served() {
				continue
			}
			port := g.placement.bindPort(int32(l.spec.Port))
			sock := sockets[port]
			if sock == nil {
				sock = &model.Socket{Address: g.placement.bindAddress, Port: port, Gateway: g.key(), Protocol: socketProtocol(l.spec.Protocol)}
				sockets[sock.Port] = sock
				ports = append(ports, sock.Port)
			}
			if l.spec.Protocol == gatewayv1.HTTPProtocolType || l.spec.Protocol == gatewayv1.HTTPSProtocolType {
				addHTTPListener(sock, l, g.attachments[l], used)
				continue
			}
			routes := &sock.Passthrough
			if l.mode() == gatewayv1.TLSModeTerminate {
				routes = &sock.Terminate
				sock.Certificates = append(sock.Certificates, l.certificates...)
			}
			names := claimedSNI[sock]
			if names == nil {
				names = map[string]bool{}
				claimedSNI[sock] = names
			}
			for _, a := range sortedAttachments(g.attachments[l]) {
				for _, h := range a.hostnames {
					if names[h] || slices.Contains(sock.HTTPS, h) {
						continue
					}
					names[h] = true
					*routes = append(*routes, model.SNIRoute{Hostname: h, Backend: a.backend})
					used[a.backend] = true
				}
			}
		}
		slices.Sort(ports)
		for _, p := range ports {
			dp.Sockets = append(dp.Sockets, finishSocket(sockets[p]))
		}
	}
	for _, b := range backends {
		if used[b.ID] {
			dp.Backends = append(dp.Backends, b)
		}
	}
	slices.SortFunc(dp.Sockets, func(a, b model.Socket) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	slices.SortFunc(dp.Backends, func(a, b model.Backend) int { return compareBackendIDs(a.ID, b.ID) })
	return dp
}

func claimed(sock *model.Socket, hostname string) bool {
	has := func(r model.SNIRoute) bool { return r.Hostname == hostname }
	return slices.ContainsFunc(sock.Passthrough, has) || slices.ContainsFunc(sock.Terminate, has) || slices.Contains(sock.HTTPS, hostname)
}

// finishSocket sorts a socket's routes by hostname and drops repeated certificate entries.
func finishSocket(s *model.Socket) model.Socket {
	byHost := func(a, b model.SNIRoute) int { return strings.Compare(a.Hostname, b.Hostname) }
	slices.SortFunc(s.Passthrough, byHost)
	slices.SortFunc(s.Terminate, byHost)
	slices.Sort(s.HTTPS)
	slices.SortFunc(s.VirtualHosts, func(a, b model.VirtualHost) int { return strings.Compare(a.Hostname, b.Hostname) })
	s.Certificates = uniqueCertificates(s.Certificates)
	s.HTTPSCertificates = uniqueCertificates(s.HTTPSCertificates)
	return *s
}

func uniqueCertificates(in []model.Certificate) []model.Certificate {
	var certs []model.Certificate
	for _, c := range in {
		if !slices.ContainsFunc(certs, func(x model.Certificate) bool {
			return x.Namespace == c.Namespace && x.Name == c.Name && slices.Equal(x.SNIFilter, c.SNIFilter)
		}) {
			certs = append(certs, c)
		}
	}
	return certs
}

func sortedAttachments(list []attachment) []attachment {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b attachment) int {
		ta, tb := a.route.GetCreationTimestamp(), b.route.GetCreationTimestamp()
		return cmp.Or(ta.Time.Compare(tb.Time),
			cmp.Compare(a.route.GetNamespace(), b.route.GetNamespace()),
			cmp.Compare(a.route.GetName(), b.route.GetName()))
	})
	return out
}

func compareBackendIDs(a, b model.BackendID) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Rule, b.Rule))
}
