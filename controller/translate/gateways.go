package translate

import (
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayStatus sums up a Gateway's listeners. Programmed here means "will be programmed": the
// status stage turns it False when the data plane did not take the configuration.
func gatewayStatus(g *gateway) model.Gateway {
	gen := g.spec.Generation
	out := model.Gateway{Namespace: g.spec.Namespace, Name: g.spec.Name}
	served, invalid := 0, 0
	for _, l := range g.listeners {
		programmed, reason, message := l.served() && g.placement.bound, string(gatewayv1.ListenerReasonProgrammed), "Listener is programmed"
		switch {
		case !g.placement.bound:
			reason, message = string(gatewayv1.ListenerReasonPending), "Gateway has no address: "+g.placement.problem
		case !l.served():
			reason, message = string(gatewayv1.ListenerReasonInvalid), "Listener is not valid: see its other conditions"
		}
		if l.served() {
			served++
		} else {
			invalid++
		}
		out.Listeners = append(out.Listeners, l.status(programmed, reason, message))
	}

	switch {
	case len(g.listeners) > 0 && served == 0:
		out.Conditions = append(out.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), false,
			string(gatewayv1.GatewayReasonListenersNotValid), "No listener is valid", gen))
	case invalid > 0:
		out.Conditions = append(out.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), true,
			string(gatewayv1.GatewayReasonListenersNotValid), fmt.Sprintf("%d of %d listeners are not valid", invalid, len(g.listeners)), gen))
	default:
		out.Conditions = append(out.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), true,
			string(gatewayv1.GatewayReasonAccepted), "Gateway is accepted", gen))
	}

	var programmed metav1.Condition
	switch {
	case !g.placement.bound || len(g.placement.addresses) == 0:
		programmed = condition(string(gatewayv1.GatewayConditionProgrammed), false, string(gatewayv1.GatewayReasonAddressNotAssigned), g.placement.problem, gen)
	case served == 0:
		programmed = condition(string(gatewayv1.GatewayConditionProgrammed), false, string(gatewayv1.GatewayReasonInvalid), "No listener is valid", gen)
	default:
		programmed = condition(string(gatewayv1.GatewayConditionProgrammed), true, string(gatewayv1.GatewayReasonProgrammed), "Gateway is programmed", gen)
	}
	out.Conditions = append(out.Conditions, programmed)
	if g.resolvedRefs != nil {
		out.Conditions = append(out.Conditions, *g.resolvedRefs)
	}
	if insecure := insecureCondition(g); insecure != nil {
		out.Conditions = append(out.Conditions, *insecure)
	}
	out.Addresses = g.placement.addresses
	return out
}
