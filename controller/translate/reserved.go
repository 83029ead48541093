package translate

import (
	"fmt"
	"net/netip"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ReservedPort is an address and port the proxy's host already uses for something other than a
// Gateway (the stats page, the controller's metrics): a listener that would bind it is refused
// rather than breaking the reload of every Gateway, or taking the port over.
type ReservedPort struct {
	// Address is the bound address; the zero Addr (or an unspecified one) means every address.
	Address netip.Addr
	Port    int32
	// Use says what the port serves, for the listener's condition.
	Use string
}

func (r ReservedPort) overlaps(bindAddress string, port int32) bool {
	if r.Port != port {
		return false
	}
	if !r.Address.IsValid() || r.Address.IsUnspecified() || bindAddress == "" {
		return true
	}
	addr, err := netip.ParseAddr(bindAddress)
	return err != nil || addr.IsUnspecified() || addr == r.Address
}

// refuseReservedPorts marks listeners whose socket would bind a reserved port as not accepted
// (PortUnavailable).
func refuseReservedPorts(g *gateway, reserved []ReservedPort) {
	if !g.placement.bound {
		return
	}
	for _, l := range g.listeners {
		port := g.placement.bindPort(int32(l.spec.Port))
		for _, r := range reserved {
			if l.accepted && r.overlaps(g.placement.bindAddress, port) {
				l.accepted = false
				l.accept = condition(string(gatewayv1.ListenerConditionAccepted), false, string(gatewayv1.ListenerReasonPortUnavailable),
					fmt.Sprintf("port %d is taken by %s on this proxy", port, r.Use), l.gateway.Generation)
			}
		}
	}
}
