package status_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// These tests pin down KubeWriter's handling of a busy or refusing API server, against the real
// one that kube_integration_test.go starts: a real 409 Conflict from a competing writer, a real
// 422 from the CRD schema, a real 404 for an object gone since the snapshot.

// TestKubeWriterRetriesOnConflict makes another controller write the route's status between the
// writer's read and its update, so the update carries a stale resourceVersion and the API server
// refuses it. The writer must read again, merge again, and keep the other controller's new entry.
func TestKubeWriterRetriesOnConflict(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const ns = "conflict"
	live := liveClient(t, c)
	createObjects(ctx, t, live, ns)
	if err := appendOtherParent(ctx, live, ns, "elsewhere"); err != nil {
		t.Fatalf("write other controller's entry: %v", err)
	}

	// Uncached, so the writer's first read is current and only the competing write makes it stale.
	direct, err := client.NewWithWatch(c.RestConfig, client.Options{Scheme: source.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	intruded := false
	var routeUpdates, conflicts int
	racing := interceptor.NewClient(direct, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			_, isRoute := obj.(*gatewayv1.TLSRoute)
			if isRoute && !intruded {
				intruded = true
				// The other controller, through its own client, wins the race.
				if err := appendOtherParent(ctx, live, ns, "late"); err != nil {
					return fmt.Errorf("competing write: %w", err)
				}
			}
			err := c.SubResource(sub).Update(ctx, obj, opts...)
			if isRoute {
				routeUpdates++
				if apierrors.IsConflict(err) {
					conflicts++
				}
			}
			return err
		},
	})
	w := status.NewKubeWriter(racing, controllerName, testLogger())
	start := time.Now()
	if err := w.Write(ctx, handMadeModel(ns)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if !intruded || conflicts != 1 || routeUpdates != 2 {
		t.Errorf("route status updates = %d with %d conflicts (competing write made: %v), want 2 with 1", routeUpdates, conflicts, intruded)
	}
	want := []string{otherController + "/elsewhere", otherController + "/late", controllerName + "/gw"}
	if diff := cmp.Diff(want, routeParents(ctx, t, live, ns)); diff != "" {
		t.Errorf("route parents after a conflict (-want +got):\n%s", diff)
	}
	checkWritten(ctx, t, live, ns, start)
}

// TestKubeWriterCollectsErrors gives the writer a model with a route kind it cannot write and a
// Gateway status the API server rejects, next to valid objects and one deleted since the build:
// the valid objects are still written, the deleted one is skipped silently, and Write returns one
// error naming both bad ones.
func TestKubeWriterCollectsErrors(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const ns = "errors"
	live := liveClient(t, c)
	createObjects(ctx, t, live, ns)
	if err := live.Create(ctx, newGateway(ns, "bad")); err != nil {
		t.Fatalf("create Gateway bad: %v", err)
	}

	m := handMadeModel(ns)
	// A condition reason must match the CRD's pattern (no spaces, no "!"); the API server refuses it.
	invalid := metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "not a valid reason!", ObservedGeneration: 1}
	// Routes come last in a Write, so the unsupported kind cannot hide failures before it.
	m.Gateways = append(m.Gateways,
		model.Gateway{Namespace: ns, Name: "bad", Conditions: []metav1.Condition{invalid}},
		model.Gateway{Namespace: ns, Name: "deleted-meanwhile", Conditions: m.Gateways[0].Conditions},
	)
	m.Routes = append(m.Routes, &model.Route{Kind: "UDPRoute", Namespace: ns, Name: "u"})

	w := status.NewKubeWriter(liveClient(t, c), controllerName, testLogger())
	start := time.Now()
	err := w.Write(ctx, m)
	if err == nil {
		t.Fatal("Write returned no error")
	}
	msg := err.Error()
	t.Logf("Write error: %v", err)
	for _, want := range []string{"status of Gateway errors/bad:", ".reason", "UDPRoute errors/u: unsupported route kind"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Write error does not contain %q", want)
		}
	}
	if !apierrors.IsInvalid(err) {
		t.Errorf("Write error does not carry the API server's Invalid status")
	}
	if strings.Contains(msg, "deleted-meanwhile") {
		t.Errorf("Write error names the deleted Gateway, which should have been skipped")
	}

	// The valid objects were written regardless.
	checkWritten(ctx, t, live, ns, start)
	if diff := cmp.Diff([]string{controllerName + "/gw"}, routeParents(ctx, t, live, ns)); diff != "" {
		t.Errorf("route parents (-want +got):\n%s", diff)
	}
	// The rejected one kept the API server's defaults.
	var bad gatewayv1.Gateway
	mustGet(ctx, t, live, key(ns, "bad"), &bad)
	for _, cond := range bad.Status.Conditions {
		if cond.Status != metav1.ConditionUnknown {
			t.Errorf("rejected Gateway has condition %+v, want only the API server's Unknown defaults", cond)
		}
	}
}
