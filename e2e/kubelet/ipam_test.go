package kubelet

import (
	"net/netip"
	"testing"
)

func TestAddressPool(t *testing.T) {
	pool, node, err := newAddressPool(netip.MustParsePrefix("10.244.128.0/29"))
	if err != nil {
		t.Fatal(err)
	}
	if node.String() != "10.244.128.1" {
		t.Errorf("node address %s", node)
	}
	var got []string
	for range 5 {
		a, err := pool.allocate("")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.String())
	}
	// Network (.0), node (.1) and broadcast (.7) are never handed out.
	want := []string{"10.244.128.2", "10.244.128.3", "10.244.128.4", "10.244.128.5", "10.244.128.6"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
	if a, err := pool.allocate(""); err == nil {
		t.Errorf("allocated %s from a full pool", a)
	}

	pool.release(netip.MustParseAddr("10.244.128.3"))
	pool.release(netip.MustParseAddr("10.244.128.5"))
	// A pod that already reports a free in-range address keeps it.
	if a, _ := pool.allocate("10.244.128.5"); a.String() != "10.244.128.5" {
		t.Errorf("requested .5, got %s", a)
	}
	// One reporting a taken or foreign address gets the next free one.
	if a, _ := pool.allocate("10.1.2.3"); a.String() != "10.244.128.3" {
		t.Errorf("got %s, want the free .3", a)
	}

	if _, _, err := newAddressPool(netip.MustParsePrefix("10.0.0.0/30")); err == nil {
		t.Error("accepted a /30")
	}
}

func TestAddressPoolDoesNotReuseAtOnce(t *testing.T) {
	pool, _, err := newAddressPool(netip.MustParsePrefix("10.244.128.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := pool.allocate("")
	pool.release(a)
	if b, _ := pool.allocate(""); b == a {
		t.Errorf("released %s and got it back at once", a)
	}
}

func TestV6ForEmbedsTheIPv4Address(t *testing.T) {
	prefix, err := parseV6Range(DefaultPodCIDRv6)
	if err != nil {
		t.Fatal(err)
	}
	if got := v6For(prefix, netip.MustParseAddr("10.244.128.9")); got.String() != "fd00:10:244::af4:8009" {
		t.Errorf("v6For = %s", got)
	}
	for _, bad := range []string{"fd00::/112", "10.0.0.0/8", "::ffff:0:0/96", "not-a-cidr"} {
		if _, err := parseV6Range(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
