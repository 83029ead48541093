package translate_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// TestBuilderEqualsBuild starts from each golden input and applies random sequences of creates,
// updates, deletes and status-only writes to objects of every kind, as an informer would deliver
// them (a changed object is a new one with a new resourceVersion). After every step the Builder's
// model must be Build's, byte for byte in its golden form, and the model of the step before must
// be as it was: models share their entries, which no later change may edit in place.
func TestBuilderEqualsBuild(t *testing.T) {
	const seeds, steps = 8, 60
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			reused, updated := 0, map[string]int{}
			for seed := uint64(1); seed <= seeds; seed++ {
				rng := rand.New(rand.NewPCG(seed, 0))
				w := newWorld(c.snap)
				b := translate.NewBuilder(c.opts)
				var history []string
				var last *model.Model
				var lastGolden []byte
				for step := range steps {
					what, changed := w.change(rng)
					history = append(history, what)
					snap := w.snapshot()
					m, how := w.follow(t, rng, b, snap, changed)
					got := golden(t, m)
					if last != nil {
						if again := golden(t, last); !bytes.Equal(again, lastGolden) {
							t.Fatalf("seed %d, step %d; changes so far:\n%s\nthe step changed the model before it (-before +after):\n%s",
								seed, step, strings.Join(history, "\n"), cmp.Diff(string(lastGolden), string(again)))
						}
					}
					last, lastGolden = m, got
					if how == "UpdateRoutes" {
						updated[fmt.Sprintf("%T", changed)]++
					}
					if want := golden(t, translate.Build(snap, c.opts)); !bytes.Equal(got, want) {
						t.Fatalf("seed %d, step %d; changes so far:\n%s\nthe Builder's model (by %s) differs from Build's (-Build +Builder):\n%s",
							seed, step, strings.Join(history, "\n"), how, cmp.Diff(string(want), string(got)))
					}
					reused += b.Reused
				}
				// Nothing changed: every route's result is reused, and with it the SNI routes and
				// most statuses of the model before, shared rather than copied.
				before := b.Build(w.snapshot())
				again := b.Build(w.snapshot())
				if b.Built != 0 {
					t.Fatalf("seed %d: %d routes built again with nothing changed", seed, b.Built)
				}
				checkShared(t, before, again)
			}
			if reused == 0 && len(c.snap.TLSRoutes)+len(c.snap.HTTPRoutes)+len(c.snap.GRPCRoutes) > 1 {
				t.Fatal("no route result was ever reused")
			}
			for kind, n := range map[string]int{"*v1.TLSRoute": len(c.snap.TLSRoutes), "*v1.HTTPRoute": len(c.snap.HTTPRoutes), "*v1.GRPCRoute": len(c.snap.GRPCRoutes)} {
				if n > 0 && updated[kind] == 0 {
					t.Errorf("UpdateRoutes never made a model for a change of a %s", kind)
				}
			}
		})
	}
}

// checkShared fails unless two models of the same objects share their SNI routes, and share
// statuses where there are any.
func checkShared(t *testing.T, before, again *model.Model) {
	t.Helper()
	if len(before.DataPlane.Sockets) != len(again.DataPlane.Sockets) {
		t.Fatalf("%d sockets, then %d", len(before.DataPlane.Sockets), len(again.DataPlane.Sockets))
	}
	for i, s := range again.DataPlane.Sockets {
		for _, pair := range [][2][]*model.SNIRoute{{before.DataPlane.Sockets[i].Passthrough, s.Passthrough}, {before.DataPlane.Sockets[i].Terminate, s.Terminate}} {
			for j, r := range pair[1] {
				if r != pair[0][j] {
					t.Errorf("socket %s:%d: SNI route %s is a new copy", s.Gateway, s.Port, r.Hostname)
				}
			}
		}
	}
	shared := 0
	for i, r := range again.Routes {
		if r == before.Routes[i] {
			shared++
		}
	}
	if len(again.Routes) > 0 && shared == 0 {
		t.Errorf("none of %d route statuses shared with the model before", len(again.Routes))
	}
}

// follow brings the Builder up to date with one change as the controller would, and returns its
// model and how it was made: a change of routes goes through UpdateRoutes (with
// now and then the same change twice, or another route unchanged beside it), a change of
// EndpointSlices through ServersChanged, anything else through Build. When UpdateRoutes cannot,
// Build runs.
func (w *world) follow(t *testing.T, rng *rand.Rand, b *translate.Builder, snap *snapshot.Snapshot, changed client.Object) (*model.Model, string) {
	t.Helper()
	// The Runner has the Builder make its indexes ahead while no change waits (Prepare); so now
	// and then here, which must change nothing that a later step sees.
	if rng.IntN(3) == 0 {
		b.Prepare()
	}
	switch o := changed.(type) {
	case *gatewayv1.TLSRoute, *gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute:
		if rng.IntN(4) == 0 {
			break
		}
		changes := []translate.RouteChange{w.routeChange(o)}
		if rng.IntN(3) == 0 {
			changes = append(changes, w.routeChange(pick(rng, w.routes())))
		}
		if rng.IntN(4) == 0 {
			changes = append(changes, changes[0])
		}
		if m, ok := b.UpdateRoutes(changes); ok {
			return m, "UpdateRoutes"
		}
	case *discoveryv1.EndpointSlice:
		if translate.LastModel(b) == nil {
			break
		}
		svc := o.Namespace + "/" + o.Labels[discoveryv1.LabelServiceName]
		b.ServersChanged(map[string]bool{svc: true}, translate.SlicesByService(snap.EndpointSlices))
		if rng.IntN(2) == 0 {
			return translate.LastModel(b), "ServersChanged"
		}
		// Every route again, unchanged: each result kept must have the new servers.
		var changes []translate.RouteChange
		for _, r := range w.routes() {
			changes = append(changes, w.routeChange(r))
		}
		if m, ok := b.UpdateRoutes(changes); ok {
			return m, "ServersChanged, then UpdateRoutes of every route"
		}
	}
	return b.Build(snap), "Build"
}

// routeChange is a route as it is now, without the route when it is gone.
func (w *world) routeChange(o client.Object) translate.RouteChange {
	c := translate.RouteChange{Namespace: o.GetNamespace(), Name: o.GetName()}
	now := w.current[objectKey(o)]
	switch o.(type) {
	case *gatewayv1.TLSRoute:
		c.Kind = translate.KindTLSRoute
		c.TLSRoute, _ = now.(*gatewayv1.TLSRoute)
	case *gatewayv1.HTTPRoute:
		c.Kind = translate.KindHTTPRoute
		c.HTTPRoute, _ = now.(*gatewayv1.HTTPRoute)
	case *gatewayv1.GRPCRoute:
		c.Kind = translate.KindGRPCRoute
		c.GRPCRoute, _ = now.(*gatewayv1.GRPCRoute)
	}
	return c
}

// routes are the routes of the input, of every kind, as first read.
func (w *world) routes() []client.Object {
	var out []client.Object
	for _, o := range w.originals {
		switch o.(type) {
		case *gatewayv1.TLSRoute, *gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute:
			out = append(out, o)
		}
	}
	return out
}

func golden(t *testing.T, v any) []byte {
	t.Helper()
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// world is the objects of a golden input as they change: originals stay as read, current holds
// what exists now, each object with its own resourceVersion.
type world struct {
	originals []client.Object
	current   map[string]client.Object
	version   int
	bundle    string
	rejected  []snapshot.Rejected
	// noTrustBundles is the snapshot's NoClusterTrustBundles; trustBundles the input's names.
	noTrustBundles string
	trustBundles   []string
	// pools of values the input uses, so changes meet the objects' own names.
	hostnames, services, sections, labels, caBundles []string
	ports                                            []int32
}

func newWorld(s *snapshot.Snapshot) *world {
	w := &world{current: map[string]client.Object{}, bundle: s.CRDBundleVersion, rejected: s.Rejected}
	s = s.DeepCopy()
	add := func(o client.Object) { w.originals = append(w.originals, o) }
	for i := range s.GatewayClasses {
		add(&s.GatewayClasses[i])
	}
	for i := range s.Gateways {
		add(&s.Gateways[i])
		for _, l := range s.Gateways[i].Spec.Listeners {
			w.sections = append(w.sections, string(l.Name))
			w.ports = append(w.ports, int32(l.Port))
			if l.Hostname != nil {
				w.hostnames = append(w.hostnames, string(*l.Hostname))
			}
		}
	}
	for _, r := range s.TLSRoutes {
		add(r)
		for _, h := range r.Spec.Hostnames {
			w.hostnames = append(w.hostnames, string(h))
		}
	}
	for _, r := range s.HTTPRoutes {
		add(r)
		for _, h := range r.Spec.Hostnames {
			w.hostnames = append(w.hostnames, string(h))
		}
	}
	for _, r := range s.GRPCRoutes {
		add(r)
		for _, h := range r.Spec.Hostnames {
			w.hostnames = append(w.hostnames, string(h))
		}
	}
	for i := range s.Services {
		add(&s.Services[i])
		w.services = append(w.services, s.Services[i].Name)
		for _, p := range s.Services[i].Spec.Ports {
			w.ports = append(w.ports, p.Port)
		}
	}
	for i := range s.EndpointSlices {
		add(&s.EndpointSlices[i])
	}
	for i := range s.Secrets {
		add(&s.Secrets[i])
	}
	for i := range s.ReferenceGrants {
		add(&s.ReferenceGrants[i])
	}
	for i := range s.Namespaces {
		add(&s.Namespaces[i])
		for k, v := range s.Namespaces[i].Labels {
			w.labels = append(w.labels, k+"="+v)
		}
	}
	for i := range s.BackendTLSPolicies {
		add(&s.BackendTLSPolicies[i])
	}
	for i := range s.ConfigMaps {
		add(&s.ConfigMaps[i])
		w.caBundles = append(w.caBundles, s.ConfigMaps[i].Data["ca.crt"])
	}
	for i := range s.ClusterTrustBundles {
		add(&s.ClusterTrustBundles[i])
		w.caBundles = append(w.caBundles, s.ClusterTrustBundles[i].Spec.TrustBundle)
		w.trustBundles = append(w.trustBundles, s.ClusterTrustBundles[i].Name)
	}
	w.caBundles = append(w.caBundles, "not a certificate")
	w.hostnames = append(w.hostnames, "*.example.com", "a.example.com", "*")
	w.services = append(w.services, "missing")
	w.sections = append(w.sections, "missing")
	w.ports = append(w.ports, 1)
	w.labels = append(w.labels, "team=x")
	for _, o := range w.originals {
		w.put(o.DeepCopyObject().(client.Object))
	}
	return w
}

func objectKey(o client.Object) string {
	return fmt.Sprintf("%T/%s/%s", o, o.GetNamespace(), o.GetName())
}

// put stores o as a new version, as the API server would after a write; a created object gets a
// uid of its own.
func (w *world) put(o client.Object) {
	w.version++
	o.SetResourceVersion(strconv.Itoa(w.version))
	if _, exists := w.current[objectKey(o)]; !exists {
		o.SetUID(types.UID(strconv.Itoa(w.version)))
	}
	w.current[objectKey(o)] = o
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// change makes one random change, says what it was and returns the object as first read.
func (w *world) change(rng *rand.Rand) (string, client.Object) {
	if len(w.trustBundles) > 0 && rng.IntN(20) == 0 {
		// The source learns, or no longer learns, ClusterTrustBundles at all.
		if w.noTrustBundles == "" {
			w.noTrustBundles = "the API server does not serve them"
		} else {
			w.noTrustBundles = ""
		}
		return "ClusterTrustBundles readable: " + strconv.FormatBool(w.noTrustBundles == ""), nil
	}
	o := pick(rng, w.originals)
	return w.changeObject(rng, o), o
}

func (w *world) changeObject(rng *rand.Rand, o client.Object) string {
	key := objectKey(o)
	now, exists := w.current[key]
	switch {
	case !exists:
		w.put(o.DeepCopyObject().(client.Object))
		return "create " + key
	case rng.IntN(6) == 0:
		delete(w.current, key)
		return "delete " + key
	case rng.IntN(5) == 0:
		next := now.DeepCopyObject().(client.Object)
		parents := []gatewayv1.RouteParentStatus{{ParentRef: gatewayv1.ParentReference{Name: "gone"},
			ControllerName: pick(rng, []gatewayv1.GatewayController{gatewayv1.GatewayController(goldenOptions.ControllerName), "other.example/controller"})}}
		if rng.IntN(2) == 0 {
			parents = nil
		}
		switch o := next.(type) {
		case *gatewayv1.Gateway:
			o.Status.Addresses = nil
			if rng.IntN(2) == 0 {
				o.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Value: fmt.Sprintf("10.250.0.%d", rng.IntN(3))}}
			}
		case *gatewayv1.TLSRoute:
			o.Status.Parents = parents
		case *gatewayv1.HTTPRoute:
			o.Status.Parents = parents
		case *gatewayv1.GRPCRoute:
			o.Status.Parents = parents
		}
		w.put(next)
		return "write status of " + key
	}
	next := now.DeepCopyObject().(client.Object)
	what := w.mutate(rng, next)
	next.SetGeneration(next.GetGeneration() + 1)
	w.put(next)
	return "update " + key + ": " + what
}

// mutate changes o's spec in a way its kind allows, drawing values from the input's own.
func (w *world) mutate(rng *rand.Rand, o client.Object) string {
	hostnames := func() []gatewayv1.Hostname {
		var out []gatewayv1.Hostname
		for range rng.IntN(3) {
			out = append(out, gatewayv1.Hostname(pick(rng, w.hostnames)))
		}
		return out
	}
	parentRefs := func(refs []gatewayv1.ParentReference) string {
		if len(refs) == 0 {
			return "no parentRefs"
		}
		i := rng.IntN(len(refs))
		switch rng.IntN(3) {
		case 0:
			refs[i].SectionName = ptr.To(gatewayv1.SectionName(pick(rng, w.sections)))
		case 1:
			refs[i].SectionName = nil
			refs[i].Port = ptr.To(gatewayv1.PortNumber(pick(rng, w.ports)))
		default:
			refs[i].SectionName, refs[i].Port = nil, nil
		}
		return "parentRef"
	}
	backendRef := func(ref *gatewayv1.BackendObjectReference) string {
		if rng.IntN(2) == 0 {
			ref.Name = gatewayv1.ObjectName(pick(rng, w.services))
		} else {
			ref.Port = ptr.To(gatewayv1.PortNumber(pick(rng, w.ports)))
		}
		return "backendRef"
	}
	age := func() string {
		o.SetCreationTimestamp(metav1.NewTime(time.Unix(int64(rng.IntN(5)), 0)))
		return "creationTimestamp"
	}
	switch o := o.(type) {
	case *gatewayv1.GatewayClass:
		if o.Spec.ControllerName == "other.example/controller" {
			o.Spec.ControllerName = gatewayv1.GatewayController(goldenOptions.ControllerName)
		} else {
			o.Spec.ControllerName = "other.example/controller"
		}
		return "controllerName"
	case *gatewayv1.Gateway:
		if len(o.Spec.Listeners) == 0 {
			return "nothing"
		}
		l := &o.Spec.Listeners[rng.IntN(len(o.Spec.Listeners))]
		switch rng.IntN(4) {
		case 0:
			o.Spec.Listeners = slices.Delete(o.Spec.Listeners, 0, 1)
			return "first listener removed"
		case 1:
			l.Hostname = ptr.To(gatewayv1.Hostname(pick(rng, w.hostnames)))
			return "listener hostname"
		case 2:
			from := pick(rng, []gatewayv1.FromNamespaces{gatewayv1.NamespacesFromAll, gatewayv1.NamespacesFromSame})
			l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &from}}
			return "allowedRoutes"
		default:
			l.Port = gatewayv1.PortNumber(pick(rng, w.ports))
			return "listener port"
		}
	case *gatewayv1.TLSRoute:
		switch rng.IntN(4) {
		case 0:
			o.Spec.Hostnames = hostnames()
			return "hostnames"
		case 1:
			if len(o.Spec.ParentRefs) > 0 && rng.IntN(3) == 0 {
				// Two parentRefs that may select the same listener: the first one serves.
				ref := *o.Spec.ParentRefs[0].DeepCopy()
				ref.SectionName, ref.Port = nil, nil
				o.Spec.ParentRefs = append(o.Spec.ParentRefs, ref)
				return "parentRef added"
			}
			return parentRefs(o.Spec.ParentRefs)
		case 2:
			if len(o.Spec.Rules) > 0 && len(o.Spec.Rules[0].BackendRefs) > 0 {
				return backendRef(&o.Spec.Rules[0].BackendRefs[0].BackendObjectReference)
			}
		}
		return age()
	case *gatewayv1.HTTPRoute:
		return w.mutateHTTPRoute(rng, o, hostnames, parentRefs, backendRef, age)
	case *gatewayv1.GRPCRoute:
		switch rng.IntN(5) {
		case 0:
			o.Spec.Hostnames = hostnames()
			return "hostnames"
		case 1:
			return parentRefs(o.Spec.ParentRefs)
		case 2:
			if len(o.Spec.Rules) > 0 && len(o.Spec.Rules[0].BackendRefs) > 0 {
				return backendRef(&o.Spec.Rules[0].BackendRefs[0].BackendObjectReference)
			}
		case 3:
			if len(o.Spec.Rules) > 0 {
				o.Spec.Rules[0].Matches = []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{
					Service: ptr.To(pick(rng, []string{"a.A", "b.B"})), Method: pick(rng, []*string{nil, ptr.To("Get")})}}}
				return "method match"
			}
		}
		return age()
	case *corev1.Service:
		if len(o.Spec.Ports) > 0 {
			o.Spec.Ports[0].Port = pick(rng, w.ports)
			return "port"
		}
		return "nothing"
	case *discoveryv1.EndpointSlice:
		if len(o.Endpoints) == 0 || rng.IntN(3) == 0 {
			o.Endpoints = append(o.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.9.0.%d", rng.IntN(9))}})
			return "endpoint added"
		}
		e := &o.Endpoints[rng.IntN(len(o.Endpoints))]
		e.Conditions.Ready = ptr.To(rng.IntN(2) == 0)
		return "endpoint ready"
	case *corev1.Secret:
		delete(o.Data, corev1.TLSPrivateKeyKey)
		return "key removed"
	case *gatewayv1.ReferenceGrant:
		o.Spec.From = nil
		return "from removed"
	case *gatewayv1.BackendTLSPolicy:
		switch rng.IntN(4) {
		case 0:
			o.Spec.Validation.Hostname = gatewayv1.PreciseHostname(strings.TrimPrefix(pick(rng, w.hostnames), "*."))
			return "hostname"
		case 1:
			section := gatewayv1.SectionName(pick(rng, []string{"https", "tls", "missing"}))
			o.Spec.TargetRefs[0].SectionName = &section
			if rng.IntN(2) == 0 {
				o.Spec.TargetRefs[0].SectionName = nil
			}
			return "sectionName"
		case 2:
			o.Spec.TargetRefs[0].Name = gatewayv1.ObjectName(pick(rng, w.services))
			return "target"
		}
		o.CreationTimestamp = metav1.NewTime(o.CreationTimestamp.Add(time.Duration(rng.IntN(3)-1) * 48 * time.Hour))
		return "age"
	case *corev1.ConfigMap:
		o.Data = map[string]string{"ca.crt": pick(rng, w.caBundles)}
		return "CA bundle"
	case *certificatesv1.ClusterTrustBundle:
		o.Spec.TrustBundle = pick(rng, w.caBundles)
		return "trust bundle"
	case *corev1.Namespace:
		k, v, _ := cutLabel(pick(rng, w.labels))
		if o.Labels[k] == v {
			delete(o.Labels, k)
		} else {
			o.Labels = map[string]string{k: v}
		}
		return "labels"
	}
	return "nothing"
}

func cutLabel(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// snapshot is the current objects, as a source hands them to a build.
func (w *world) snapshot() *snapshot.Snapshot {
	s := &snapshot.Snapshot{CRDBundleVersion: w.bundle, Rejected: w.rejected, NoClusterTrustBundles: w.noTrustBundles}
	for _, o := range w.current {
		switch o := o.(type) {
		case *gatewayv1.GatewayClass:
			s.GatewayClasses = append(s.GatewayClasses, *o)
		case *gatewayv1.Gateway:
			s.Gateways = append(s.Gateways, *o)
		case *gatewayv1.TLSRoute:
			s.TLSRoutes = append(s.TLSRoutes, o)
		case *gatewayv1.HTTPRoute:
			s.HTTPRoutes = append(s.HTTPRoutes, o)
		case *gatewayv1.GRPCRoute:
			s.GRPCRoutes = append(s.GRPCRoutes, o)
		case *corev1.Service:
			s.Services = append(s.Services, *o)
		case *discoveryv1.EndpointSlice:
			s.EndpointSlices = append(s.EndpointSlices, *o)
		case *corev1.Secret:
			s.Secrets = append(s.Secrets, *o)
		case *gatewayv1.ReferenceGrant:
			s.ReferenceGrants = append(s.ReferenceGrants, *o)
		case *corev1.Namespace:
			s.Namespaces = append(s.Namespaces, *o)
		case *gatewayv1.BackendTLSPolicy:
			s.BackendTLSPolicies = append(s.BackendTLSPolicies, *o)
		case *corev1.ConfigMap:
			s.ConfigMaps = append(s.ConfigMaps, *o)
		case *certificatesv1.ClusterTrustBundle:
			s.ClusterTrustBundles = append(s.ClusterTrustBundles, *o)
		}
	}
	s.Sort()
	return s
}

// TestUpdateRoutesLeavesUnreadServicesToBuild: a source may hand a build Services that no route
// names, without their EndpointSlices (the per-Gateway Services' namespace). A new TLSRoute
// naming one is left to Build, which the source gives the EndpointSlices for; one naming a
// Service another route names is updated.
func TestUpdateRoutesLeavesUnreadServicesToBuild(t *testing.T) {
	for _, c := range goldenCases(t) {
		if len(c.snap.TLSRoutes) == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(c.snap)
			unnamed := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: c.snap.TLSRoutes[0].Namespace, Name: "no-route-names-this"}}
			w.put(unnamed)
			b := translate.NewBuilder(c.opts)
			b.Build(w.snapshot())
			route := func(name string, ref gatewayv1.BackendObjectReference) *gatewayv1.TLSRoute {
				r := c.snap.TLSRoutes[0].DeepCopy()
				r.Name = name
				r.Spec.Rules = []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{BackendObjectReference: ref}}}}
				w.put(r)
				return r
			}
			unread := gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(unnamed.Name), Port: ptr.To[gatewayv1.PortNumber](443)}
			if _, ok := b.UpdateRoutes([]translate.RouteChange{{Kind: translate.KindTLSRoute, Namespace: unnamed.Namespace, Name: "names-unread", TLSRoute: route("names-unread", unread)}}); ok {
				t.Error("UpdateRoutes took a route naming a Service no route of the last build named")
			}
			b.Build(w.snapshot())
			r := route("names-read", c.snap.TLSRoutes[0].Spec.Rules[0].BackendRefs[0].BackendObjectReference)
			m, ok := b.UpdateRoutes([]translate.RouteChange{{Kind: translate.KindTLSRoute, Namespace: r.Namespace, Name: r.Name, TLSRoute: r}})
			if !ok {
				t.Fatal("UpdateRoutes left a route naming a Service the last build read to Build")
			}
			if got, want := golden(t, m), golden(t, translate.Build(w.snapshot(), c.opts)); !bytes.Equal(got, want) {
				t.Errorf("model differs from Build's (-Build +UpdateRoutes):\n%s", cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// mutateHTTPRoute changes an HTTPRoute's hostnames, parentRefs, paths, header matches, filters,
// rules or backends.
func (w *world) mutateHTTPRoute(rng *rand.Rand, o *gatewayv1.HTTPRoute, hostnames func() []gatewayv1.Hostname,
	parentRefs func([]gatewayv1.ParentReference) string, backendRef func(*gatewayv1.BackendObjectReference) string, age func() string) string {
	rule := func() *gatewayv1.HTTPRouteRule {
		if len(o.Spec.Rules) == 0 {
			o.Spec.Rules = append(o.Spec.Rules, gatewayv1.HTTPRouteRule{})
		}
		return &o.Spec.Rules[rng.IntN(len(o.Spec.Rules))]
	}
	switch rng.IntN(9) {
	case 0:
		o.Spec.Hostnames = hostnames()
		return "hostnames"
	case 1:
		return parentRefs(o.Spec.ParentRefs)
	case 2:
		if r := rule(); len(r.BackendRefs) > 0 {
			return backendRef(&r.BackendRefs[0].BackendObjectReference)
		}
	case 3:
		rule().Matches = []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
			Type:  ptr.To(pick(rng, []gatewayv1.PathMatchType{gatewayv1.PathMatchPathPrefix, gatewayv1.PathMatchExact})),
			Value: ptr.To(pick(rng, []string{"/", "/a", "/b/", "/a/b"}))}}}
		return "path match"
	case 4:
		r := rule()
		m := gatewayv1.HTTPRouteMatch{Headers: []gatewayv1.HTTPHeaderMatch{{Name: "X-Env", Value: pick(rng, []string{"a", "b"})}}}
		if rng.IntN(2) == 0 {
			m.Method = ptr.To(gatewayv1.HTTPMethodGet)
		}
		r.Matches = append(r.Matches, m)
		return "header match"
	case 5:
		r := rule()
		if len(r.Filters) > 0 {
			r.Filters = nil
			return "filters removed"
		}
		r.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "X-Via", Value: "gw"}}}}}
		if rng.IntN(3) == 0 {
			// Not served: the route is not accepted.
			r.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterExtensionRef,
				ExtensionRef: &gatewayv1.LocalObjectReference{Group: "example.com", Kind: "Filter", Name: "f"}}}
		}
		return "filters"
	case 6:
		if len(o.Spec.Rules) > 1 {
			o.Spec.Rules = o.Spec.Rules[1:]
			return "first rule removed"
		}
		r := *rule().DeepCopy()
		r.Name = nil
		r.Matches = []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/second")}}}
		o.Spec.Rules = append(o.Spec.Rules, r)
		return "rule added"
	case 7:
		r := rule()
		ref := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(pick(rng, w.services)), Port: ptr.To(gatewayv1.PortNumber(pick(rng, w.ports)))}, Weight: ptr.To(int32(rng.IntN(3)))}}
		r.BackendRefs = append(r.BackendRefs, ref)
		return "backendRef added"
	}
	return age()
}
