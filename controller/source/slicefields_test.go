package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestEndpointSliceKeepsFieldsRead(t *testing.T) {
	full := func() *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: "app-x7k2p", Namespace: "team-a", UID: "uid-1", ResourceVersion: "42", Generation: 3,
				Labels:          map[string]string{discoveryv1.LabelServiceName: "app", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io", "app": "app", "tier": "web"},
				Annotations:     map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": "2026-12-01T19:33:20Z"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: "app", UID: "uid-svc"}}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](8443), Protocol: ptr.To(corev1.ProtocolTCP)}},
			Endpoints: []discoveryv1.Endpoint{{
				Addresses:  []string{"10.244.1.7"},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(true), Terminating: ptr.To(true)},
				Hostname:   ptr.To("app-0"), NodeName: ptr.To("node-1"), Zone: ptr.To("zone-a"),
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "team-a", Name: "app-0", UID: "uid-pod"},
				Hints:     &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "zone-a"}}},
			}},
		}
	}
	want := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "app-x7k2p", Namespace: "team-a", UID: "uid-1", ResourceVersion: "42", Generation: 3, Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](8443), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}}},
	}
	transform := endpointSliceFieldsRead(func(obj any) (any, error) { return obj, nil })
	got, err := transform(full())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EndpointSlice kept (-want +got):\n%s", diff)
	}
	if sliceService(got) != "team-a/app" {
		t.Errorf("the kept slice belongs to Service %q, want team-a/app", sliceService(got))
	}

	orphan := full()
	delete(orphan.Labels, discoveryv1.LabelServiceName)
	got, _ = transform(orphan)
	if labels := got.(*discoveryv1.EndpointSlice).Labels; labels != nil {
		t.Errorf("a slice of no Service kept labels %v", labels)
	}
}

func TestEndpointSlicesShareRepeatedValues(t *testing.T) {
	transform := (&sharedValues{}).sharing(func(obj any) (any, error) { return obj, nil })
	slice := func(name string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: string([]byte("team-a"))},
			Ports:      []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](8443), Protocol: ptr.To(corev1.ProtocolTCP)}},
			Endpoints:  []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		}
	}
	a, _ := transform(slice("a"))
	b, _ := transform(slice("b"))
	x, y := a.(*discoveryv1.EndpointSlice), b.(*discoveryv1.EndpointSlice)
	if !sameString(x.Namespace, y.Namespace) || x.Ports[0].Name != y.Ports[0].Name || x.Ports[0].Protocol != y.Ports[0].Protocol ||
		x.Endpoints[0].Conditions.Ready != y.Endpoints[0].Conditions.Ready {
		t.Error("two EndpointSlices hold a copy each of their namespace, port name, protocol or ready condition")
	}
	if diff := cmp.Diff(slice("a"), x); diff != "" {
		t.Errorf("sharing values changed the slice (-before +after):\n%s", diff)
	}
}
