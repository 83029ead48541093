package kubelet

import (
	"fmt"
	"net/netip"
	"sync"
)

// addressPool hands out pod addresses. It walks the range round-robin rather than reusing the
// lowest free address, so a deleted pod's address is not given to a new pod while stale endpoints
// or connections may still point at it.
type addressPool struct {
	mu     sync.Mutex
	first  netip.Addr // first pod address
	prefix netip.Prefix
	next   netip.Addr
	inUse  map[netip.Addr]bool
}

// newAddressPool returns a pool over prefix and the node's own address (the one after the network
// address), which the pool never hands out.
func newAddressPool(prefix netip.Prefix) (*addressPool, netip.Addr, error) {
	prefix = prefix.Masked()
	if !prefix.Addr().Is4() || prefix.Bits() > 29 {
		return nil, netip.Addr{}, fmt.Errorf("pod CIDR %s: need an IPv4 range of at least 8 addresses", prefix)
	}
	node := prefix.Addr().Next()
	first := node.Next()
	return &addressPool{first: first, prefix: prefix, next: first, inUse: map[netip.Addr]bool{}}, node, nil
}

// allocate returns want if it is in the range and free, else the next free address.
func (p *addressPool) allocate(want string) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, err := netip.ParseAddr(want); err == nil && p.usable(a) && !p.inUse[a] {
		p.inUse[a] = true
		return a, nil
	}
	start := p.next
	for {
		a := p.next
		p.next = p.next.Next()
		if !p.usable(p.next) {
			p.next = p.first
		}
		if !p.inUse[a] {
			p.inUse[a] = true
			return a, nil
		}
		if p.next == start {
			return netip.Addr{}, fmt.Errorf("pod CIDR %s is full", p.prefix)
		}
	}
}

func (p *addressPool) release(a netip.Addr) {
	p.mu.Lock()
	delete(p.inUse, a)
	p.mu.Unlock()
}

// usable excludes the network, node and broadcast addresses.
func (p *addressPool) usable(a netip.Addr) bool {
	return p.prefix.Contains(a) && a.Compare(p.first) >= 0 && a.Next().IsValid() && p.prefix.Contains(a.Next())
}

// parseV6Range checks an IPv6 pod range has room for a whole IPv4 address in its host part.
func parseV6Range(cidr string) (netip.Prefix, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("IPv6 pod CIDR: %w", err)
	}
	prefix = prefix.Masked()
	if !prefix.Addr().Is6() || prefix.Addr().Is4In6() || prefix.Bits() > 96 {
		return netip.Prefix{}, fmt.Errorf("IPv6 pod CIDR %s: need an IPv6 range of at least /96", prefix)
	}
	return prefix, nil
}

// v6For is the IPv6 address of the pod with IPv4 address v4: the range's prefix with v4 in the
// last 32 bits. Deriving it keeps one pool, and both addresses of a pod are released together.
func v6For(prefix netip.Prefix, v4 netip.Addr) netip.Addr {
	b := prefix.Addr().As16()
	four := v4.As4()
	copy(b[12:], four[:])
	return netip.AddrFrom16(b)
}
