package translate

import (
	"net/netip"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// placement is where the proxy serves one Gateway and what the Gateway publishes.
type placement struct {
	// bound is true when the proxy binds the Gateway's listeners; false comes with a problem.
	bound bool
	// bindAddress is the address the proxy binds; empty means every address.
	bindAddress string
	// ports maps a listener port to the port the proxy binds for it; a port not in it binds as is.
	ports map[int32]int32
	// addresses go to the Gateway's status. None (with a problem) means Programmed is False with
	// reason AddressNotAssigned, even when the proxy already binds the listeners.
	addresses []string
	problem   string
}

// bindPort is the port the proxy binds for a listener port.
func (p placement) bindPort(listenerPort int32) int32 {
	if port, ok := p.ports[listenerPort]; ok {
		return port
	}
	return listenerPort
}

// placeInPool binds each Gateway on an address of its own from the pool, and publishes it.
func placeInPool(gateways []*gatewayv1.Gateway, pool netip.Prefix) map[*gatewayv1.Gateway]placement {
	addresses, problems := assignAddresses(gateways, pool)
	out := map[*gatewayv1.Gateway]placement{}
	for _, gw := range gateways {
		addr, ok := addresses[gw]
		if !ok {
			out[gw] = placement{problem: problems[gw]}
			continue
		}
		out[gw] = placement{bound: true, bindAddress: addr.String(), addresses: []string{addr.String()}}
	}
	return out
}
