package translate

import (
	"net/netip"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestAssignAddresses: a Gateway keeps the address it runs on; asking for an address another
// Gateway already has does not take it over.
func TestAssignAddresses(t *testing.T) {
	pool := netip.MustParsePrefix("10.250.0.0/16")
	gateway := func(namespace, name, requested, published string) *gatewayv1.Gateway {
		gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		if requested != "" {
			gw.Spec.Addresses = []gatewayv1.GatewaySpecAddress{{Value: requested}}
		}
		if published != "" {
			gw.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Value: published}}
		}
		return gw
	}
	tests := []struct {
		name     string
		gateways []*gatewayv1.Gateway
		// want is each Gateway's address, or "" with a problem.
		want []string
	}{
		{"a request for another Gateway's address",
			[]*gatewayv1.Gateway{gateway("default", "owner", "", "10.250.0.7"), gateway("tenant", "taker", "10.250.0.7", "")},
			[]string{"10.250.0.7", ""}},
		{"the same, the taker first in order",
			[]*gatewayv1.Gateway{gateway("a", "taker", "10.250.0.7", ""), gateway("default", "owner", "", "10.250.0.7")},
			[]string{"", "10.250.0.7"}},
		{"a requested address is kept",
			[]*gatewayv1.Gateway{gateway("default", "owner", "10.250.0.7", "10.250.0.7"), gateway("tenant", "taker", "10.250.0.7", "")},
			[]string{"10.250.0.7", ""}},
		{"a Gateway moving to the address it asks for frees its old one",
			[]*gatewayv1.Gateway{gateway("default", "mover", "10.250.0.8", "10.250.0.7"), gateway("default", "next", "10.250.0.7", "")},
			[]string{"10.250.0.8", "10.250.0.7"}},
		{"a request of another type is refused, even on a Gateway that has an address",
			[]*gatewayv1.Gateway{func() *gatewayv1.Gateway {
				gw := gateway("default", "named", "10.250.0.7", "10.250.0.7")
				hostname := gatewayv1.HostnameAddressType
				gw.Spec.Addresses[0].Type = &hostname
				return gw
			}()},
			[]string{""}},
		{"a request outside the pool",
			[]*gatewayv1.Gateway{gateway("default", "outside", "127.0.0.1", "")},
			[]string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assigned, problems := assignAddresses(tt.gateways, pool)
			for i, gw := range tt.gateways {
				got := ""
				if addr, ok := assigned[gw]; ok {
					got = addr.String()
				}
				if got != tt.want[i] || (got == "") != (problems[gw] != "") {
					t.Errorf("%s/%s: address %q, problem %q; want %q", gw.Namespace, gw.Name, got, problems[gw], tt.want[i])
				}
			}
		})
	}
}
