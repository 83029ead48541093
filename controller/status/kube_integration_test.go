package status_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/cluster"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The tests in this file and in kube_test.go run the Kube source and the KubeWriter against a real
// kube-apiserver with the Gateway API CRDs: the CRD schemas (required fields, patterns, defaults,
// status subresources) and optimistic concurrency are the API server's, not a stand-in's. They
// share one control plane, started by the first of them; each works in its own namespace and
// GatewayClass (both named after the test's scenario), so they do not see each other's objects.
// Run them inside e2e/netns.sh:
//
//	go test -c -o /tmp/status.test ./controller/status
//	HAPROXY_GATEWAY_E2E=1 bash e2e/netns.sh /tmp/status.test -test.v

const (
	controllerName = "haproxy-gateway.example.com/controller"
	// otherController writes route parent entries of its own, which ours must never touch.
	otherController = "example.org/other"
)

var shared struct {
	once    sync.Once
	cluster *cluster.Cluster
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
	os.Exit(code)
}

// apiServer returns the package's control plane with the Gateway API CRDs installed, starting it on
// first use, or skips the test where none can run.
func apiServer(t *testing.T) *cluster.Cluster {
	t.Helper()
	cluster.SkipUnlessRunnable(t)
	shared.once.Do(func() {
		// controller-runtime complains loudly when nobody set its logger; its messages add nothing here.
		ctrllog.SetLogger(logr.Discard())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c, err := cluster.Start(ctx, cluster.Options{})
		if err != nil {
			shared.err = fmt.Errorf("start control plane: %w", err)
			return
		}
		shared.cluster = c
		if err := c.InstallGatewayAPICRDs(ctx); err != nil {
			shared.err = fmt.Errorf("install CRDs: %w", err)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.cluster
}

// startSource runs a Kube source on cfg until the test ends.
func startSource(ctx context.Context, t *testing.T, cfg *rest.Config, opts source.KubeOptions) *source.Kube {
	t.Helper()
	opts.SyncTimeout = time.Minute
	src, err := source.NewKube(cfg, opts)
	if err != nil {
		t.Fatalf("NewKube: %v", err)
	}
	runCtx, stopSource := context.WithCancel(ctx)
	t.Cleanup(stopSource)
	if err := src.Start(runCtx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return src
}

// liveClient reads and writes the API server directly, to see what was really stored.
func liveClient(t *testing.T, c *cluster.Cluster) client.Client {
	t.Helper()
	live, err := client.New(c.RestConfig, client.Options{Scheme: source.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return live
}

func testLogger() *logrus.Logger {
	log := logrus.New()
	log.SetLevel(logrus.DebugLevel)
	return log
}

func TestKubeSourceAndWriterAgainstAPIServer(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "source"

	log := testLogger()
	src := startSource(ctx, t, c.RestConfig, source.KubeOptions{Log: log})
	<-src.Changes() // Start signals once, so the first build happens without an event

	live := liveClient(t, c)
	createObjects(ctx, t, live, ns)

	select {
	case <-src.Changes():
	case <-time.After(30 * time.Second):
		t.Fatal("no change signalled after creating objects")
	}
	snap, route, err := waitForSnapshot(ctx, src, ns)
	if err != nil {
		t.Fatalf("snapshot never showed the new objects: %v", err)
	}
	if want := gatewayAPIVersion(); snap.CRDBundleVersion == "" || (want != "" && snap.CRDBundleVersion != want) {
		t.Errorf("CRDBundleVersion = %q, want %q", snap.CRDBundleVersion, want)
	}
	// The API server defaults parentRef group and kind; the model below does not set them, as a
	// build from a hand-written ref would not either. The writer must still match them.
	if ref := route.Spec.ParentRefs[0]; ref.Group == nil || ref.Kind == nil {
		t.Errorf("parentRef not defaulted by the API server: %+v", ref)
	}
	if route.Labels != nil || route.Annotations != nil {
		t.Errorf("the cache kept a route's labels %v and annotations %v, which no build reads", route.Labels, route.Annotations)
	}

	// Another controller's entry, written first, must survive our writes.
	if err := appendOtherParent(ctx, live, ns, "other-gw"); err != nil {
		t.Fatalf("write other controller's entry: %v", err)
	}

	// Counting successful status updates catches no-op writes too, which the API server answers without
	// bumping resourceVersion.
	counted := &countingClient{Client: src.Client()}
	w := status.NewKubeWriter(counted, controllerName, log)
	m := handMadeModel(ns)
	start := time.Now()
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	checkWritten(ctx, t, live, ns, start)
	if diff := cmp.Diff([]string{otherController + "/other-gw", controllerName + "/gw"}, routeParents(ctx, t, live, ns)); diff != "" {
		t.Errorf("TLSRoute parents, the other controller's then ours (-want +got):\n%s", diff)
	}
	var stored gatewayv1.TLSRoute
	mustGet(ctx, t, live, key(ns, "r"), &stored)
	if diff := cmp.Diff(routeMetadata, metav1.ObjectMeta{Labels: stored.Labels, Annotations: stored.Annotations}); diff != "" {
		t.Errorf("the route's labels and annotations after status writes made from the cache's copy (-want +got):\n%s", diff)
	}

	// Same model again: nothing may be written, even though the cache may lag behind the first
	// write (a stale read ends in a conflict and a fresh read, not in a second write).
	before, updatesBefore := resourceVersions(ctx, t, live, ns), counted.updates
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if after := resourceVersions(ctx, t, live, ns); after != before {
		t.Errorf("identical Write changed resourceVersions: %v -> %v", before, after)
	}
	if n := counted.updates - updatesBefore; n != 0 {
		t.Errorf("identical Write made %d status updates, want 0", n)
	}
	// The writer knows the route's status is in place: it does not even read the route. Told to
	// forget (a new leader), it compares with the API objects again, and still writes nothing.
	readsBefore := counted.routeReads.Load()
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("third Write: %v", err)
	}
	if n := counted.routeReads.Load() - readsBefore; n != 0 {
		t.Errorf("a Write of a route status known to be in place read the route %d times, want 0", n)
	}
	w.Forget()
	readsBefore, updatesBefore = counted.routeReads.Load(), counted.updates
	if err := w.Write(ctx, m); err != nil {
		t.Fatalf("Write after Forget: %v", err)
	}
	if n := counted.updates - updatesBefore; n != 0 {
		t.Errorf("identical Write after Forget made %d status updates, want 0", n)
	}

	// A failed apply flips Programmed, and only Programmed gets a new transition time.
	var gw gatewayv1.Gateway
	mustGet(ctx, t, live, key(ns, "gw"), &gw)
	acceptedAt := gw.Status.Conditions[0].LastTransitionTime
	time.Sleep(1100 * time.Millisecond) // transition times have whole-second resolution
	if err := w.Write(ctx, status.WithApplyResult(m, errors.New("reload failed"))); err != nil {
		t.Fatalf("Write after failed apply: %v", err)
	}
	mustGet(ctx, t, live, key(ns, "gw"), &gw)
	accepted, programmed := gw.Status.Conditions[0], gw.Status.Conditions[1]
	if !accepted.LastTransitionTime.Equal(&acceptedAt) {
		t.Errorf("Accepted transition time moved from %v to %v without a status change", acceptedAt, accepted.LastTransitionTime)
	}
	if programmed.Status != metav1.ConditionFalse || programmed.Reason != "Pending" || !acceptedAt.Before(&programmed.LastTransitionTime) {
		t.Errorf("Programmed after failed apply = %+v", programmed)
	}
	if diff := cmp.Diff([]string{otherController + "/other-gw", controllerName + "/gw"}, routeParents(ctx, t, live, ns)); diff != "" {
		t.Errorf("TLSRoute parents after the last Write (-want +got):\n%s", diff)
	}
}

// key names an object of a test's namespace; the GatewayClass, cluster-scoped, takes the
// namespace's name instead (see gatewayClass).
func key(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func gatewayClass(ns string) client.ObjectKey { return client.ObjectKey{Name: ns} }

func newGateway(ns, name string) *gatewayv1.Gateway {
	return &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: gatewayv1.ObjectName(ns),
			Listeners: []gatewayv1.Listener{{
				Name: "tls", Port: 443, Protocol: gatewayv1.TLSProtocolType,
				TLS: &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModePassthrough)},
			}},
		},
	}
}

// newTLSRoute is a TLSRoute on Gateway gateway for hostname, to port 443 of service.
func newTLSRoute(ns, name, gateway, hostname, service string) *gatewayv1.TLSRoute {
	return &gatewayv1.TLSRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(gateway)}}},
			Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(hostname)},
			Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
				BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service), Port: ptr.To[gatewayv1.PortNumber](443)},
			}}}},
		},
	}
}

// routeMetadata are the labels and annotations createObjects gives TLSRoute r: the cache drops
// them, and the status writes must keep them.
var routeMetadata = metav1.ObjectMeta{
	Labels:      map[string]string{"team": "payments"},
	Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"kind":"TLSRoute"}`},
}

// createObjects creates namespace ns with a Gateway gw and a TLSRoute r attached to it, and a
// GatewayClass named ns.
func createObjects(ctx context.Context, t *testing.T, c client.Client, ns string) {
	t.Helper()
	route := newTLSRoute(ns, "r", "gw", "app.example.com", "app")
	route.Labels, route.Annotations = routeMetadata.Labels, routeMetadata.Annotations
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: ns},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: controllerName},
		},
		newGateway(ns, "gw"),
		route,
	}
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

// waitForGateway takes snapshots until one holds Gateway ns/name, and returns it.
func waitForGateway(ctx context.Context, src *source.Kube, ns, name string) (*snapshot.Snapshot, error) {
	return waitForSnapshotOf(ctx, src, func(snap *snapshot.Snapshot) bool {
		return slices.ContainsFunc(snap.Gateways, func(g gatewayv1.Gateway) bool { return g.Namespace == ns && g.Name == name })
	})
}

// waitForSnapshotOf takes snapshots until holds accepts one, and returns it.
func waitForSnapshotOf(ctx context.Context, src *source.Kube, holds func(*snapshot.Snapshot) bool) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		if snap, err = src.Snapshot(ctx); err != nil {
			return false, err
		}
		return holds(snap), nil
	})
	return snap, err
}

// appendOtherParent writes, as the other controller, an entry for parent gateway onto route ns/r,
// reading the route fresh through c.
func appendOtherParent(ctx context.Context, c client.Client, ns, gateway string) error {
	var route gatewayv1.TLSRoute
	if err := c.Get(ctx, key(ns, "r"), &route); err != nil {
		return err
	}
	route.Status.Parents = append(route.Status.Parents, gatewayv1.RouteParentStatus{
		ParentRef:      gatewayv1.ParentReference{Name: gatewayv1.ObjectName(gateway)},
		ControllerName: otherController,
		Conditions:     []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", LastTransitionTime: metav1.Now()}},
	})
	return c.Status().Update(ctx, &route)
}

// waitForSnapshot polls until the cache holds the three objects of namespace ns: the writer reads
// through the same cache, and would skip an object it does not see yet as deleted.
func waitForSnapshot(ctx context.Context, src *source.Kube, ns string) (*snapshot.Snapshot, *gatewayv1.TLSRoute, error) {
	var snap *snapshot.Snapshot
	var route *gatewayv1.TLSRoute
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		if snap, err = src.Snapshot(ctx); err != nil {
			return false, err
		}
		hasClass := slices.ContainsFunc(snap.GatewayClasses, func(c gatewayv1.GatewayClass) bool { return c.Name == ns })
		hasGateway := slices.ContainsFunc(snap.Gateways, func(g gatewayv1.Gateway) bool { return g.Namespace == ns && g.Name == "gw" })
		route = nil
		for i := range snap.TLSRoutes {
			if r := snap.TLSRoutes[i]; r.Namespace == ns && r.Name == "r" {
				route = r
			}
		}
		return hasClass && hasGateway && route != nil, nil
	})
	return snap, route, err
}

// handMadeModel is the status a build would give the objects of createObjects(ns).
func handMadeModel(ns string) *model.Model {
	accepted := metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "Accepted", ObservedGeneration: 1}
	programmed := metav1.Condition{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed", Message: "Programmed", ObservedGeneration: 1}
	return &model.Model{
		GatewayClasses: []model.GatewayClass{{Name: ns, Conditions: []metav1.Condition{accepted}}},
		Gateways: []model.Gateway{{
			Namespace: ns, Name: "gw", Addresses: []string{"10.250.0.1"},
			Conditions: []metav1.Condition{accepted, programmed},
			Listeners: []gatewayv1.ListenerStatus{{
				Name: "tls", AttachedRoutes: 1,
				SupportedKinds: []gatewayv1.RouteGroupKind{{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: "TLSRoute"}},
				Conditions:     []metav1.Condition{accepted, programmed},
			}},
		}},
		Routes: []*model.Route{{
			Kind: "TLSRoute", Namespace: ns, Name: "r",
			Parents: []gatewayv1.RouteParentStatus{{
				ParentRef:      gatewayv1.ParentReference{Name: "gw"},
				ControllerName: controllerName,
				Conditions:     []metav1.Condition{accepted},
			}},
		}},
	}
}

// checkWritten checks that the GatewayClass and Gateway of namespace ns hold handMadeModel's status,
// with transition times taken by a Write that started at since.
func checkWritten(ctx context.Context, t *testing.T, c client.Client, ns string, since time.Time) {
	t.Helper()
	var class gatewayv1.GatewayClass
	mustGet(ctx, t, c, gatewayClass(ns), &class)
	if len(class.Status.Conditions) != 1 || class.Status.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("GatewayClass conditions = %+v", class.Status.Conditions)
	}
	var gw gatewayv1.Gateway
	mustGet(ctx, t, c, key(ns, "gw"), &gw)
	if a := gw.Status.Addresses; len(a) != 1 || a[0].Value != "10.250.0.1" || a[0].Type == nil || *a[0].Type != gatewayv1.IPAddressType {
		t.Errorf("Gateway addresses = %+v", a)
	}
	if len(gw.Status.Conditions) != 2 || len(gw.Status.Listeners) != 1 || gw.Status.Listeners[0].AttachedRoutes != 1 {
		t.Errorf("Gateway status = %+v", gw.Status)
	}
	// The API server keeps whole seconds, so the earliest possible time is since truncated.
	earliest, latest := since.Truncate(time.Second), time.Now()
	for _, cond := range gw.Status.Conditions {
		if at := cond.LastTransitionTime.Time; at.Before(earliest) || at.After(latest) {
			t.Errorf("condition %s transition time %v, want within the Write [%v, %v]", cond.Type, at, earliest, latest)
		}
	}
}

// routeParents lists the parent entries of route ns/r as controller/parent name, in stored order.
func routeParents(ctx context.Context, t *testing.T, c client.Client, ns string) []string {
	t.Helper()
	var route gatewayv1.TLSRoute
	mustGet(ctx, t, c, key(ns, "r"), &route)
	var names []string
	for _, p := range route.Status.Parents {
		names = append(names, string(p.ControllerName)+"/"+string(p.ParentRef.Name))
	}
	return names
}

func mustGet(ctx context.Context, t *testing.T, c client.Client, key client.ObjectKey, obj client.Object) {
	t.Helper()
	if err := c.Get(ctx, key, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, key, err)
	}
}

// resourceVersions is one string of the three objects' versions, easy to compare and print.
func resourceVersions(ctx context.Context, t *testing.T, c client.Client, ns string) string {
	t.Helper()
	var class gatewayv1.GatewayClass
	var gw gatewayv1.Gateway
	var route gatewayv1.TLSRoute
	mustGet(ctx, t, c, gatewayClass(ns), &class)
	mustGet(ctx, t, c, key(ns, "gw"), &gw)
	mustGet(ctx, t, c, key(ns, "r"), &route)
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

// countingClient counts successful status updates, and reads of routes. A conflict on a lagging
// cache is expected and retried, so only writes that went through count.
type countingClient struct {
	client.Client
	updates    int
	routeReads atomic.Int64
}

func (c *countingClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*gatewayv1.TLSRoute); ok {
		c.routeReads.Add(1)
	}
	return c.Client.Get(ctx, key, obj, opts...)
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
