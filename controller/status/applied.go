package status

import (
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// WithApplyResult folds the data plane's answer into a model. The build's Programmed=True only
// means "will be programmed"; if HAProxy refused the configuration (or the reload failed), the old
// configuration keeps serving and the status must not claim the new one runs. Gateways and
// listeners that were already not Programmed keep their own, more specific reason.
//
// m is not changed: the result is a copy with new Gateway, listener and condition slices; the
// other parts are shared with m, which is fine because models are never changed once built.
func WithApplyResult(m *model.Model, applyErr error) *model.Model {
	if applyErr == nil || m == nil {
		return m
	}
	message := "HAProxy did not take the configuration: " + applyErr.Error()
	out := *m
	out.Gateways = make([]model.Gateway, len(m.Gateways))
	for i, g := range m.Gateways {
		g.Conditions = model.TurnedFalse(g.Conditions, string(gatewayv1.GatewayConditionProgrammed), string(gatewayv1.GatewayReasonPending), message)
		listeners := make([]gatewayv1.ListenerStatus, len(g.Listeners))
		for j, l := range g.Listeners {
			l.Conditions = model.TurnedFalse(l.Conditions, string(gatewayv1.ListenerConditionProgrammed), string(gatewayv1.ListenerReasonPending), message)
			listeners[j] = l
		}
		if g.Listeners == nil {
			listeners = nil
		}
		g.Listeners = listeners
		out.Gateways[i] = g
	}
	if m.Gateways == nil {
		out.Gateways = nil
	}
	return &out
}
