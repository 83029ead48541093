package status_test

import (
	"context"
	"errors"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const controllerName = "haproxy-gateway.example.com/controller"

// TestKubeSourceAndWriterAgainstAPIServer runs the Kube source and the KubeWriter against a real
// kube-apiserver with the Gateway API CRDs: the CRD schemas (required fields, defaults, status
// subresources) are what the fake client cannot check. Run it inside e2e/netns.sh:
//
//	go test -c -o /tmp/status.test ./controller/status
//	HAPROXY_GATEWAY_E2E=1 bash e2e/netns.sh /tmp/status.test -test.run APIServer -test.v
func TestKubeSourceAndWriterAgainstAPIServer(t *testing.T) {
	if os.Getenv("HAPROXY_GATEWAY_E2E") == "" {
		t.Skip("set HAPROXY_GATEWAY_E2E=1 to run against a real control plane")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (run inside e2e/netns.sh)")
	}
	// controller-runtime complains loudly when nobody set its logger; its messages add nothing here.
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	c, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(c.Stop)
	if err := c.InstallGatewayAPICRDs(ctx); err != nil {
		t.Fatalf("install CRDs: %v", err)
	}

	log := logrus.New()
	log.SetLevel(logrus.DebugLevel)
	src, err := source.NewKube(c.RestConfig, source.KubeOptions{Log: log, SyncTimeout: time.Minute})
	if err != nil {
		t.Fatalf("NewKube: %v", err)
	}
	runCtx, stopSource := context.WithCancel(ctx)
	t.Cleanup(stopSource)
	if err := src.Start(runCtx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-src.Changes() // Start signals once, so the first build happens without an event

	// A client that reads the API server directly, to see what was really stored.
	live, err := client.New(c.RestConfig, client.Options{Scheme: source.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	createObjects(ctx, t, live)

	select {
	case <-src.Changes():
	case <-time.After(30 * time.Second):
		t.Fatal("no change signalled after creating objects")
	}
	snap, err := waitForSnapshot(ctx, src)
	if err != nil {
		t.Fatalf("snapshot never showed the new objects: %v", err)
	}
	if want := gatewayAPIVersion(); snap.CRDBundleVersion == "" || (want != "" && snap.CRDBundleVersion != want) {
		t.Errorf("CRDBundleVersion = %q, want %q", snap.CRDBundleVersion, want)
	}
	// The API server defaults parentRef group and kind; the model below does not set them, as a
	// build from a hand-written ref would not either. The writer must still match them.
	if ref := snap.TLSRoutes[0].Spec.ParentRefs[0]; ref.Group == nil || ref.Kind == nil {
		t.Errorf("parentRef not defaulted by the API server: %+v", ref)
	}

	// Another controller's entry, written first, must survive our writes.
	var route gatewayv1.TLSRoute
	mustGet(ctx, t, live, "r", &route)
	route.Status.Parents = []gatewayv1.RouteParentStatus{{
		ParentRef:      gatewayv1.ParentReference{Name: "other-gw"},
		ControllerName: "example.org/other",
		Conditions:     []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", LastTransitionTime: metav1.Now()}},
	}}
	if err := live.Status().Update(ctx, &route); err != nil {
		t.Fatalf("write other controller's entry: %v", err)
	}

	// Counting successful status updates catches no-op writes too, which the API server answers without
	// bumping resourceVersion.
	counted := &countingClient{Client: src.Client()}
	w := status.NewKubeWriter(counted, controllerName, log)
	m := handMadeModel()
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	checkWritten(ctx, t, live)

	// Same model again: nothing may be written, even though the cache may lag behind the first
	// write (a stale read ends in a conflict and a fresh read, not in a second write).
	before, updatesBefore := resourceVersions(ctx, t, live), counted.updates
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if after := resourceVersions(ctx, t, live); after != before {
		t.Errorf("identical Write changed resourceVersions: %v -> %v", before, after)
	}
	if n := counted.updates - updatesBefore; n != 0 {
		t.Errorf("identical Write made %d status updates, want 0", n)
	}

	// A failed apply flips Programmed, and only Programmed gets a new transition time.
	var gw gatewayv1.Gateway
	mustGet(ctx, t, live, "gw", &gw)
	acceptedAt := gw.Status.Conditions[0].LastTransitionTime
	time.Sleep(1100 * time.Millisecond) // transition times have whole-second resolution
	if err := w.Write(ctx, status.WithApplyResult(m, errors.New("reload failed"))); err != nil {
		t.Fatalf("Write after failed apply: %v", err)
	}
	mustGet(ctx, t, live, "gw", &gw)
	accepted, programmed := gw.Status.Conditions[0], gw.Status.Conditions[1]
	if !accepted.LastTransitionTime.Equal(&acceptedAt) {
		t.Errorf("Accepted transition time moved from %v to %v without a status change", acceptedAt, accepted.LastTransitionTime)
	}
	if programmed.Status != metav1.ConditionFalse || programmed.Reason != "Pending" || !acceptedAt.Before(&programmed.LastTransitionTime) {
		t.Errorf("Programmed after failed apply = %+v", programmed)
	}
}

func createObjects(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	objs := []client.Object{
		&gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "haproxy"},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: controllerName},
		},
		&gatewayv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gw"},
			Spec: gatewayv1.GatewaySpec{
				GatewayClassName: "haproxy",
				Listeners: []gatewayv1.Listener{{
					Name: "tls", Port: 443, Protocol: gatewayv1.TLSProtocolType,
					TLS: &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModePassthrough)},
				}},
			},
		},
		&gatewayv1.TLSRoute{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "r"},
			Spec: gatewayv1.TLSRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw"}}},
				Hostnames:       []gatewayv1.Hostname{"app.example.com"},
				Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
					BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: ptr.To[gatewayv1.PortNumber](443)},
				}}}},
			},
		},
	}
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

// waitForSnapshot polls until the cache holds all three objects: the writer reads through the same
// cache, and would skip an object it does not see yet as deleted.
func waitForSnapshot(ctx context.Context, src *source.Kube) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		if snap, err = src.Snapshot(ctx); err != nil {
			return false, err
		}
		return len(snap.GatewayClasses) == 1 && len(snap.Gateways) == 1 && len(snap.TLSRoutes) == 1, nil
	})
	return snap, err
}

func handMadeModel() *model.Model {
	accepted := metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "Accepted", ObservedGeneration: 1}
	programmed := metav1.Condition{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed", Message: "Programmed", ObservedGeneration: 1}
	return &model.Model{
		GatewayClasses: []model.GatewayClass{{Name: "haproxy", Conditions: []metav1.Condition{accepted}}},
		Gateways: []model.Gateway{{
			Namespace: "default", Name: "gw", Addresses: []string{"10.250.0.1"},
			Conditions: []metav1.Condition{accepted, programmed},
			Listeners: []gatewayv1.ListenerStatus{{
				Name: "tls", AttachedRoutes: 1,
				SupportedKinds: []gatewayv1.RouteGroupKind{{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: "TLSRoute"}},
				Conditions:     []metav1.Condition{accepted, programmed},
			}},
		}},
		Routes: []model.Route{{
			Kind: "TLSRoute", Namespace: "default", Name: "r",
			Parents: []gatewayv1.RouteParentStatus{{
				ParentRef:      gatewayv1.ParentReference{Name: "gw"},
				ControllerName: controllerName,
				Conditions:     []metav1.Condition{accepted},
			}},
		}},
	}
}

func checkWritten(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	var class gatewayv1.GatewayClass
	mustGet(ctx, t, c, "haproxy", &class)
	if len(class.Status.Conditions) != 1 || class.Status.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("GatewayClass conditions = %+v", class.Status.Conditions)
	}
	var gw gatewayv1.Gateway
	mustGet(ctx, t, c, "gw", &gw)
	if a := gw.Status.Addresses; len(a) != 1 || a[0].Value != "10.250.0.1" || a[0].Type == nil || *a[0].Type != gatewayv1.IPAddressType {
		t.Errorf("Gateway addresses = %+v", a)
	}
	if len(gw.Status.Conditions) != 2 || len(gw.Status.Listeners) != 1 || gw.Status.Listeners[0].AttachedRoutes != 1 {
		t.Errorf("Gateway status = %+v", gw.Status)
	}
	for _, cond := range gw.Status.Conditions {
		if cond.LastTransitionTime.IsZero() {
			t.Errorf("condition %s has no transition time", cond.Type)
		}
	}
	var route gatewayv1.TLSRoute
	mustGet(ctx, t, c, "r", &route)
	var controllers []string
	for _, p := range route.Status.Parents {
		controllers = append(controllers, string(p.ControllerName))
	}
	if len(controllers) != 2 || controllers[0] != "example.org/other" || controllers[1] != controllerName {
		t.Errorf("TLSRoute parents by controller = %v, want the other controller's then ours", controllers)
	}
}

func mustGet(ctx context.Context, t *testing.T, c client.Client, name string, obj client.Object) {
	t.Helper()
	namespace := "default"
	if _, cluster := obj.(*gatewayv1.GatewayClass); cluster {
		namespace = ""
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, name, err)
	}
}

// resourceVersions is one string of the three objects' versions, easy to compare and print.
func resourceVersions(ctx context.Context, t *testing.T, c client.Client) string {
	t.Helper()
	var class gatewayv1.GatewayClass
	var gw gatewayv1.Gateway
	var route gatewayv1.TLSRoute
	mustGet(ctx, t, c, "haproxy", &class)
	mustGet(ctx, t, c, "gw", &gw)
	mustGet(ctx, t, c, "r", &route)
	return class.ResourceVersion + "/" + gw.ResourceVersion + "/" + route.ResourceVersion
}

// gatewayAPIVersion is the gateway-api module version this test is built with, which is the
// bundle the cluster package installs; empty if the build info does not say.
func gatewayAPIVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range info.Deps {
		if dep.Path == "sigs.k8s.io/gateway-api" {
			return dep.Version
		}
	}
	return ""
}

// countingClient counts successful status updates. A conflict on a lagging cache is expected
// and retried, so only writes that went through count.
type countingClient struct {
	client.Client
	updates int
}

func (c *countingClient) Status() client.SubResourceWriter {
	return countingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

type countingStatus struct {
	client.SubResourceWriter
	c *countingClient
}

func (s countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	err := s.SubResourceWriter.Update(ctx, obj, opts...)
	if err == nil {
		s.c.updates++
	}
	return err
}
