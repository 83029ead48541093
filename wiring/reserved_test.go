package wiring

import (
	"net/netip"
	"testing"
)

func TestReservedPorts(t *testing.T) {
	got, err := reservedPorts(flags{statsAddress: "127.0.0.1:8404", metricsAddress: ":8405", pprofAddress: "::1:6060"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		addr netip.Addr
		port int32
	}{{netip.MustParseAddr("127.0.0.1"), 8404}, {netip.Addr{}, 8405}, {netip.MustParseAddr("::1"), 6060}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].Address != w.addr || got[i].Port != w.port || got[i].Use == "" {
			t.Errorf("%d: got %+v, want %v:%d", i, got[i], w.addr, w.port)
		}
	}
	if got, _ := reservedPorts(flags{statsAddress: "127.0.0.1:8404"}); len(got) != 1 {
		t.Errorf("an empty address reserves nothing: %+v", got)
	}
	if _, err := reservedPorts(flags{statsAddress: "8404"}); err == nil {
		t.Error("an address without a port is refused")
	}
}
