package translate

import (
	"hash/fnv"
	"math/big"
	"net/netip"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// assignAddresses gives each Gateway one address from the pool. An address a Gateway already
// publishes in its status stays its own unless it asks for another one, so that addresses stay
// stable across restarts and across other Gateways coming and going, and so that no Gateway takes
// over another's address (and its clients) by asking for it in spec.addresses. Then requested
// addresses are given if free; the rest are placed by a hash of the Gateway's name, probing
// forward on collisions. Gateways left out get no entry.
func assignAddresses(gateways []*gatewayv1.Gateway, pool netip.Prefix) (map[*gatewayv1.Gateway]netip.Addr, map[*gatewayv1.Gateway]string) {
	assigned := map[*gatewayv1.Gateway]netip.Addr{}
	problems := map[*gatewayv1.Gateway]string{}
	if !pool.IsValid() {
		for _, gw := range gateways {
			problems[gw] = "no address pool is configured"
		}
		return assigned, problems
	}
	pool = pool.Masked()
	taken := map[netip.Addr]bool{}
	claim := func(gw *gatewayv1.Gateway, addr netip.Addr) bool {
		if !pool.Contains(addr) || taken[addr] || addr == pool.Addr() {
			return false
		}
		taken[addr] = true
		assigned[gw] = addr
		return true
	}
	// First pass: addresses in use, kept by the Gateways that run on them.
	for _, gw := range gateways {
		if len(gw.Status.Addresses) == 0 {
			continue
		}
		addr, err := netip.ParseAddr(gw.Status.Addresses[0].Value)
		if err != nil {
			continue
		}
		if want, ok := requestedAddress(gw); len(gw.Spec.Addresses) > 0 && (!ok || want != addr) {
			continue // it asks for another address, or for one it cannot have
		}
		claim(gw, addr)
	}
	// Second pass: requests for addresses no Gateway runs on.
	for _, gw := range gateways {
		if _, done := assigned[gw]; done || len(gw.Spec.Addresses) == 0 {
			continue
		}
		requested := gw.Spec.Addresses[0]
		addr, ok := requestedAddress(gw)
		if !ok {
			problems[gw] = "only spec.addresses of type IPAddress are supported"
			continue
		}
		if !claim(gw, addr) {
			problems[gw] = "requested address " + requested.Value + " is outside the address pool " + pool.String() + " or used by another Gateway"
		}
	}
	size := poolSize(pool)
	for _, gw := range gateways {
		if _, done := assigned[gw]; done || problems[gw] != "" {
			continue
		}
		start := nameHash(gw.Namespace+"/"+gw.Name) % size
		found := false
		for probe := uint64(0); probe < size && probe < 1<<20; probe++ {
			if claim(gw, nthAddress(pool, (start+probe)%size)) {
				found = true
				break
			}
		}
		if !found {
			problems[gw] = "address pool " + pool.String() + " is exhausted"
		}
	}
	return assigned, problems
}

func poolSize(pool netip.Prefix) uint64 {
	hostBits := pool.Addr().BitLen() - pool.Bits()
	if hostBits >= 63 {
		return 1 << 63
	}
	return 1 << hostBits
}

func nthAddress(pool netip.Prefix, n uint64) netip.Addr {
	base := new(big.Int).SetBytes(pool.Addr().AsSlice())
	base.Add(base, new(big.Int).SetUint64(n))
	raw := base.FillBytes(make([]byte, len(pool.Addr().AsSlice())))
	addr, _ := netip.AddrFromSlice(raw)
	return addr
}

func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// requestedAddress is the IP address a Gateway asks for in spec.addresses; false when it asks for
// none or for something else.
func requestedAddress(gw *gatewayv1.Gateway) (netip.Addr, bool) {
	if len(gw.Spec.Addresses) == 0 {
		return netip.Addr{}, false
	}
	requested := gw.Spec.Addresses[0]
	if requested.Type != nil && *requested.Type != gatewayv1.IPAddressType {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(requested.Value)
	return addr, err == nil
}
