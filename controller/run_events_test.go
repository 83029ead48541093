package controller

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/events"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	logtest "github.com/sirupsen/logrus/hooks/test"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

type fixedSource struct{ snap *snapshot.Snapshot }

func (s fixedSource) Start(context.Context) error { return nil }
func (s fixedSource) Changes() <-chan struct{}    { return nil }
func (s fixedSource) Snapshot(context.Context) (*snapshot.Snapshot, error) {
	return s.snap, nil
}

// failingDataPlane refuses every apply while err is set.
type failingDataPlane struct{ err error }

func (d *failingDataPlane) Apply(context.Context, model.DataPlane) ApplyResult {
	return ApplyResult{Changed: true, Err: d.err}
}
func (d *failingDataPlane) Check(context.Context, model.DataPlane) (string, error) { return "", nil }

type gate struct{ leading bool }

func (g *gate) Leading() bool           { return g.leading }
func (g *gate) Gained() <-chan struct{} { return nil }

type recorded []events.Event

func (r *recorded) Record(_ context.Context, e events.Event) { *r = append(*r, e) }

type noStatus struct{}

func (noStatus) Write(context.Context, *model.Model) error { return nil }

// TestEventsOnlyFromTheLeaderOncePerTransition: a data plane that refuses the configuration is
// one Warning on the Gateway however often the pass is retried; a follower records nothing, and
// a follower that becomes leader does not repeat what the old leader reported; the recovery is
// one Normal Event.
func TestEventsOnlyFromTheLeaderOncePerTransition(t *testing.T) {
	const controllerName = "example.com/gateway"
	snap := &snapshot.Snapshot{
		GatewayClasses: []gatewayv1.GatewayClass{{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: gatewayv1.GatewayClassSpec{ControllerName: controllerName}}},
		Gateways: []gatewayv1.Gateway{{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"}, Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "c",
			Listeners:        []gatewayv1.Listener{{Name: "tls", Port: 443, Protocol: gatewayv1.TLSProtocolType, TLS: &gatewayv1.ListenerTLSConfig{Mode: ptrTo(gatewayv1.TLSModePassthrough)}}},
		}}},
	}
	logger, _ := logtest.NewNullLogger()
	dp := &failingDataPlane{err: errors.New("[ALERT] something HAProxy did not like")}
	leader := &gate{}
	var got recorded
	r := &Runner{Source: fixedSource{snap}, Build: translate.Options{ControllerName: controllerName, AddressPool: netip.MustParsePrefix("10.250.0.0/16")}, DataPlane: dp,
		Status: noStatus{}, Leader: leader, Log: logger, Events: &got}
	ctx := context.Background()
	r.pass(ctx, time.Time{}, time.Time{})
	if len(got) != 0 {
		t.Fatalf("a follower recorded %v", got)
	}
	leader.leading = true
	for range 3 {
		r.pass(ctx, time.Time{}, time.Time{})
	}
	if len(got) != 0 {
		t.Fatalf("a new leader repeated what it saw as a follower: %v", got)
	}
	dp.err = nil
	r.pass(ctx, time.Time{}, time.Time{})
	dp.err = errors.New("[ALERT] again")
	for range 3 {
		r.pass(ctx, time.Time{}, time.Time{})
	}
	dp.err = nil
	r.pass(ctx, time.Time{}, time.Time{})
	// The Gateway's Programmed and its listener's, each once per transition.
	want := []string{
		"Normal Gateway infra/gw Programmed", "Normal Gateway infra/gw Programmed",
		"Warning Gateway infra/gw Pending", "Warning Gateway infra/gw Pending",
		"Normal Gateway infra/gw Programmed", "Normal Gateway infra/gw Programmed",
	}
	var summary []string
	for _, e := range got {
		summary = append(summary, e.Type+" "+e.Object.String()+" "+e.Reason)
	}
	if len(summary) != len(want) {
		t.Fatalf("events %q, want %q", summary, want)
	}
	for i := range want {
		if summary[i] != want[i] {
			t.Errorf("event %d: %q, want %q", i, summary[i], want[i])
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
