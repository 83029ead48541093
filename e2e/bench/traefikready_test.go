package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// waitTraefik waits until Traefik answers /ping and its Gateway is Accepted and Programmed with
// traefikAddress, each within bound, and returns that address.
func (r *rig) waitTraefik(p *traefikProcess, bound time.Duration) string {
	r.t.Helper()
	r.eventually("Traefik answers /ping", bound, func() error {
		select {
		case <-p.exited:
			r.t.Fatalf("Traefik ended (%s); its log: %s", p.Cmd.ProcessState, p.LogPath)
		default:
		}
		return p.ping()
	})
	var address string
	r.eventually("Traefik's Gateway Accepted and Programmed", bound, func() error {
		var err error
		address, err = r.traefikGatewayReady()
		return err
	})
	r.t.Logf("Traefik ready %s after its start", time.Since(p.Started).Round(time.Millisecond))
	return address
}

// traefikGatewayReady returns the Traefik Gateway's address once it is Accepted and Programmed
// with traefikAddress. Its attached routes are not counted: implementations count them
// differently (Traefik counts a route whose backends do not resolve, for one), and each route's
// own status (routeAcceptedBy) tells whether it is attached.
func (r *rig) traefikGatewayReady() (string, error) {
	address, err := r.namedGatewayReady(traefikGatewayName, 0, math.MaxInt32)
	if err != nil {
		return "", err
	}
	var gw gatewayv1.Gateway
	if err := r.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: traefikGatewayName}, &gw); err != nil {
		return "", err
	}
	if !meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionAccepted)) {
		return "", fmt.Errorf("gateway not Accepted: %v", meta.FindStatusCondition(gw.Status.Conditions, string(gatewayv1.GatewayConditionAccepted)))
	}
	if address != traefikAddress {
		return "", fmt.Errorf("gateway has address %s, want %s", address, traefikAddress)
	}
	return address, nil
}
