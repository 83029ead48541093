package translate

import (
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A client's server name (or Host) selects one listener of its socket: the one whose hostname
// matches it most specifically (exact, then the wildcard with the longest suffix, then a listener
// without hostname). Only routes attached to that listener serve the name. A route hostname that
// a more specific listener selects is not served on the route's own listener, so a route on
// "*.example.com" cannot take "secure.example.com" from the listener of that name.

// claimName is what a listener claims on its socket: its hostname, or every name.
func claimName(l *listener) string {
	if h := hostnameOf(l.spec); h != "" {
		return h
	}
	return anyHostname
}

// claimRank is how specifically claim matches hostname (itself exact, a wildcard or "*"): -1 when
// it does not match, higher when more specific.
func claimRank(claim, hostname string) int {
	switch {
	case claim == anyHostname:
		return 0
	case claim == hostname && claim[0] != '*':
		return 1 << 30
	case claim == hostname || covers(claim, hostname):
		return len(claim)
	}
	return -1
}

// selectListener returns the listener of a socket that hostname selects, or nil.
func selectListener(listeners []*listener, hostname string) *listener {
	var best *listener
	bestRank := -1
	for _, l := range listeners {
		if r := claimRank(claimName(l), hostname); r > bestRank {
			best, bestRank = l, r
		}
	}
	return best
}

func listenerMode(l *listener) model.ListenerMode {
	switch {
	case l.spec.Protocol == gatewayv1.HTTPProtocolType:
		return model.ListenerHTTP
	case l.spec.Protocol == gatewayv1.HTTPSProtocolType:
		return model.ListenerHTTPS
	case l.mode() == gatewayv1.TLSModePassthrough:
		return model.ListenerPassthrough
	}
	return model.ListenerTerminate
}

// verdict is what became of a route's hostnames under one parentRef once every route of the
// socket was placed: how many are served, and why the others are not.
type verdict struct {
	served int
	lost   []string
	// conflicted is true when some hostname went to an older route rather than to another listener.
	conflicted bool
}

func (v *verdict) shadowed(hostname string, by *listener) {
	v.lost = append(v.lost, fmt.Sprintf("hostname %s belongs to the more specific listener %s", hostname, by.spec.Name))
}

// kindTaken records a hostname whose rules on the listener are an older route's of the other
// HTTP kind (HTTPRoute or GRPCRoute).
func (v *verdict) kindTaken(hostname string, l *listener, kind, namespace, name string) {
	v.conflicted = true
	v.lost = append(v.lost, fmt.Sprintf("hostname %s on listener %s is served by the older %s %s/%s; HTTPRoutes and GRPCRoutes do not share a hostname",
		hostname, l.spec.Name, kind, namespace, name))
}

// taken records a hostname that the older route namespace/name serves on the listener.
func (v *verdict) taken(hostname string, l *listener, namespace, name string) {
	v.conflicted = true
	v.lost = append(v.lost, fmt.Sprintf("hostname %s on listener %s is served by route %s/%s, whose hostnames name it more specifically or which is older",
		hostname, l.spec.Name, namespace, name))
}
