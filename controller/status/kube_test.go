package status

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// These tests run KubeWriter against controller-runtime's fake client: they pin down the write
// decisions (skip equal, keep others' entries, retry on conflict, skip deleted objects). The real
// API server is exercised by kube_integration_test.go.

func fakeObjects() []client.Object {
	return []client.Object{
		&gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "haproxy", Generation: 1}},
		&gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gw", Generation: 1}},
		&gatewayv1.TLSRoute{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "r", Generation: 1},
			Status: gatewayv1.TLSRouteStatus{RouteStatus: gatewayv1.RouteStatus{
				Parents: []gatewayv1.RouteParentStatus{parent(theirs, "elsewhere", "", cond("Accepted", metav1.ConditionTrue, "Accepted", 1, t0))},
			}},
		},
	}
}

func fakeModel() *model.Model {
	var zero metav1.Time
	return &model.Model{
		GatewayClasses: []model.GatewayClass{{Name: "haproxy", Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", 1, zero)}}},
		Gateways: []model.Gateway{{
			Namespace: "default", Name: "gw", Addresses: []string{"10.250.0.1"},
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
			Listeners: []gatewayv1.ListenerStatus{{
				Name: "tls", AttachedRoutes: 1,
				SupportedKinds: []gatewayv1.RouteGroupKind{{Kind: "TLSRoute"}},
				Conditions:     []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
			}},
		}, {
			Namespace: "default", Name: "deleted-meanwhile",
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", 1, zero)},
		}},
		Routes: []model.Route{{
			Kind: "TLSRoute", Namespace: "default", Name: "r",
			Parents: []gatewayv1.RouteParentStatus{parent(ours, "gw", "", cond("Accepted", metav1.ConditionTrue, "Accepted", 1, zero))},
		}},
	}
}

func newFakeWriter(funcs interceptor.Funcs) (*KubeWriter, client.Client) {
	objs := fakeObjects()
	c := fake.NewClientBuilder().WithScheme(source.Scheme()).WithObjects(objs...).WithStatusSubresource(objs...).
		WithInterceptorFuncs(funcs).Build()
	log := logrus.New()
	log.SetLevel(logrus.DebugLevel)
	w := NewKubeWriter(c, ours, log)
	w.now = func() time.Time { return now.Time.Add(300 * time.Millisecond) }
	return w, c
}

func versions(t *testing.T, c client.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, obj := range fakeObjects() {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		out[obj.GetName()] = obj.GetResourceVersion()
	}
	return out
}

func TestKubeWriterWritesOnceAndKeepsOthers(t *testing.T) {
	ctx := context.Background()
	w, c := newFakeWriter(interceptor.Funcs{})
	if err := w.Write(ctx, fakeModel()); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var gw gatewayv1.Gateway
	if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "gw"}, &gw); err != nil {
		t.Fatal(err)
	}
	if got := gw.Status.Addresses; len(got) != 1 || got[0].Value != "10.250.0.1" || *got[0].Type != gatewayv1.IPAddressType {
		t.Errorf("addresses = %+v", got)
	}
	// now is truncated to whole seconds, as the API server would store it.
	if got := gw.Status.Conditions[0].LastTransitionTime; !got.Equal(&now) {
		t.Errorf("lastTransitionTime = %v, want %v", got, now)
	}
	var route gatewayv1.TLSRoute
	if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "r"}, &route); err != nil {
		t.Fatal(err)
	}
	var controllers []string
	for _, p := range route.Status.Parents {
		controllers = append(controllers, string(p.ControllerName))
	}
	if diff := cmp.Diff([]string{theirs, ours}, controllers); diff != "" {
		t.Errorf("route parents by controller (-want +got):\n%s", diff)
	}

	before := versions(t, c)
	w.now = func() time.Time { return now.Time.Add(time.Hour) }
	if err := w.Write(ctx, fakeModel()); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if diff := cmp.Diff(before, versions(t, c)); diff != "" {
		t.Errorf("an identical Write changed objects (-before +after):\n%s", diff)
	}
}

func TestKubeWriterRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	intruded := false
	w, c := newFakeWriter(interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if _, ok := obj.(*gatewayv1.TLSRoute); ok && !intruded {
				// Another controller writes its entry between our read and our write.
				intruded = true
				var fresh gatewayv1.TLSRoute
				if err := c.Get(ctx, client.ObjectKeyFromObject(obj), &fresh); err != nil {
					return err
				}
				fresh.Status.Parents = append(fresh.Status.Parents, parent(theirs, "late", "", cond("Accepted", metav1.ConditionTrue, "Accepted", 1, t0)))
				if err := c.Status().Update(ctx, &fresh); err != nil {
					return err
				}
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	if err := w.Write(ctx, fakeModel()); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var route gatewayv1.TLSRoute
	if err := c.Get(ctx, types.NamespacedName{Namespace: "default", Name: "r"}, &route); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range route.Status.Parents {
		names = append(names, string(p.ControllerName)+"/"+string(p.ParentRef.Name))
	}
	want := []string{theirs + "/elsewhere", theirs + "/late", ours + "/gw"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("parents after a conflict (-want +got):\n%s", diff)
	}
}

func TestKubeWriterCollectsErrors(t *testing.T) {
	w, _ := newFakeWriter(interceptor.Funcs{})
	m := fakeModel()
	m.Routes = append(m.Routes, model.Route{Kind: "UDPRoute", Namespace: "default", Name: "u"})
	err := w.Write(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "UDPRoute default/u: unsupported route kind") {
		t.Fatalf("Write error = %v, want the unsupported kind", err)
	}
	// The other objects were still written.
	var gc gatewayv1.GatewayClass
	if err := w.client.Get(context.Background(), types.NamespacedName{Name: "haproxy"}, &gc); err != nil {
		t.Fatal(err)
	}
	if len(gc.Status.Conditions) != 1 {
		t.Errorf("GatewayClass conditions = %+v, want the model's one", gc.Status.Conditions)
	}
}
