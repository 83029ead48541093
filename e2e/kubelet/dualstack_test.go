package kubelet

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestDualStackPods gives pods an IPv6 address besides the IPv4 one and checks what the suite's
// HTTPRouteServiceTypes does with them: Services the EndpointSlice controller manages keep IPv4
// endpoints only, while a Service without a selector can be given the pods' IPv6 addresses in an
// IPv6 EndpointSlice written by hand, and the pods answer on them.
func TestDualStackPods(t *testing.T) {
	e := newTestEnvWith(t, Options{PodCIDRv6: DefaultPodCIDRv6})
	// e2e/netns.sh routes the range to lo where the kernel has IPv6.
	if l, err := net.Listen("tcp", "[fd00:10:244::1]:0"); err != nil {
		t.Skipf("no IPv6 pod range in this network namespace: %v", err)
	} else {
		_ = l.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns, err := e.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "dualstack-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitDefaultServiceAccount(t, e, ns.Name)
	if _, err := e.client.AppsV1().Deployments(ns.Name).Create(ctx, deployment("echo", 2, nil, nil, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	port := []corev1.ServicePort{{Name: "first-port", Protocol: corev1.ProtocolTCP, Port: 8080, TargetPort: intstr.FromInt32(3000)}}
	for _, svc := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "selected"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "echo"}, Ports: port}},
		{ObjectMeta: metav1.ObjectMeta{Name: "manual"}, Spec: corev1.ServiceSpec{Ports: port}},
	} {
		if _, err := e.client.CoreV1().Services(ns.Name).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	pods := e.readyPods(t, ns.Name, "app=echo", 2, time.Minute)
	var v4s []string
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "manual-ip6", Labels: map[string]string{discoveryv1.LabelServiceName: "manual"}},
		AddressType: discoveryv1.AddressTypeIPv6,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("first-port"), Port: ptr.To[int32](3000), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, p := range pods {
		if len(p.Status.PodIPs) != 2 || p.Status.PodIPs[0].IP != p.Status.PodIP {
			t.Fatalf("pod %s: podIP %s podIPs %v, want IPv4 then IPv6", p.Name, p.Status.PodIP, p.Status.PodIPs)
		}
		v4, v6 := netip.MustParseAddr(p.Status.PodIP), netip.MustParseAddr(p.Status.PodIPs[1].IP)
		inPodRange(t, v4.String())
		if !v6.Is6() || !netip.MustParsePrefix(DefaultPodCIDRv6).Contains(v6) {
			t.Errorf("pod %s: IPv6 address %s not in %s", p.Name, v6, DefaultPodCIDRv6)
		}
		v4s = append(v4s, v4.String())
		checkHTTPEcho(t, v4.String(), ns.Name, p.Name)
		checkHTTPEcho(t, v6.String(), ns.Name, p.Name)
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{v6.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			NodeName:   ptr.To(p.Spec.NodeName),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		})
	}
	// The API server validates endpoint addresses: this is what the suite writes.
	if _, err := e.client.DiscoveryV1().EndpointSlices(ns.Name).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatalf("IPv6 EndpointSlice of pod addresses: %v", err)
	}
	// The Service is single-stack IPv4 (the cluster's Service range is), so its slices are too.
	waitEndpoints(t, e, ns.Name, "selected", v4s)
	list, err := e.client.DiscoveryV1().EndpointSlices(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=selected"})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(list.Items, func(s discoveryv1.EndpointSlice) bool { return s.AddressType != discoveryv1.AddressTypeIPv4 }); i >= 0 {
		t.Errorf("controller-managed slice %s has address type %s", list.Items[i].Name, list.Items[i].AddressType)
	}
}
