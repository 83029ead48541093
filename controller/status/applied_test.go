package status

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestWithApplyResult(t *testing.T) {
	const yes, no = metav1.ConditionTrue, metav1.ConditionFalse
	var zero metav1.Time
	const msg = "HAProxy did not take the configuration: reload failed: bind 10.250.0.1:443"
	build := func() *model.Model {
		return &model.Model{
			GatewayClasses: []model.GatewayClass{{Name: "haproxy", Conditions: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero)}}},
			Gateways: []model.Gateway{{
				Namespace: "default", Name: "ok",
				Conditions: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero), cond("Programmed", yes, "Programmed", 1, zero)},
				Listeners: []gatewayv1.ListenerStatus{
					{Name: "good", Conditions: []metav1.Condition{cond("Accepted", yes, "Accepted", 1, zero), cond("Programmed", yes, "Programmed", 1, zero)}},
					{Name: "bad", Conditions: []metav1.Condition{cond("Accepted", no, "PortUnavailable", 1, zero), cond("Programmed", no, "Invalid", 1, zero)}},
				},
			}, {
				Namespace: "default", Name: "unaddressed",
				Conditions: []metav1.Condition{cond("Programmed", no, "AddressNotAssigned", 2, zero)},
			}},
			Routes: []*model.Route{{Kind: "TLSRoute", Namespace: "default", Name: "r"}},
		}
	}
	pending := func(generation int64) metav1.Condition {
		return metav1.Condition{Type: "Programmed", Status: no, Reason: "Pending", Message: msg, ObservedGeneration: generation}
	}

	tests := []struct {
		name string
		err  error
		want func() *model.Model
	}{{
		name: "no error leaves the model as built",
		want: build,
	}, {
		name: "an error turns every Programmed=True into Pending",
		err:  errors.New("reload failed: bind 10.250.0.1:443"),
		want: func() *model.Model {
			m := build()
			g := &m.Gateways[0]
			g.Conditions[1] = pending(1)
			g.Listeners[0].Conditions[1] = pending(1)
			return m
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := build()
			got := WithApplyResult(in, tt.err)
			if diff := cmp.Diff(tt.want(), got); diff != "" {
				t.Errorf("WithApplyResult (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(build(), in); diff != "" {
				t.Errorf("WithApplyResult changed its input (-before +after):\n%s", diff)
			}
			if tt.err == nil && got != in {
				t.Errorf("WithApplyResult(m, nil) returned a different model")
			}
		})
	}
	if WithApplyResult(nil, errors.New("x")) != nil {
		t.Errorf("WithApplyResult(nil, err) != nil")
	}
}
