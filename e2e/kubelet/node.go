package kubelet

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// leaseNamespace holds node heartbeats; the API server creates it at startup.
const leaseNamespace = corev1.NamespaceNodeLease

// registerNode creates the Node (or takes over one left by an earlier run) and marks it Ready.
// The EndpointSlice controller skips endpoints whose node it does not know, so pods would never
// be published without it.
func (k *Kubelet) registerNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   k.opts.NodeName,
			Labels: map[string]string{corev1.LabelHostname: k.opts.NodeName, corev1.LabelOSStable: "linux"},
		},
		Spec: corev1.NodeSpec{PodCIDR: k.opts.PodCIDR, PodCIDRs: []string{k.opts.PodCIDR}},
	}
	if _, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := k.renewNodeStatus(ctx); err != nil {
		return err
	}
	return k.renewLease(ctx)
}

// heartbeat keeps the Node Ready and its Lease fresh until ctx ends, so nothing that watches node
// health (were it running) would take the node's pods out of service.
func (k *Kubelet) heartbeat(ctx context.Context) {
	tick := time.NewTicker(k.opts.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := k.renewNodeStatus(ctx); err != nil && ctx.Err() == nil {
			k.opts.Logf("node %s status: %v", k.opts.NodeName, err)
		}
		if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
			k.opts.Logf("node %s lease: %v", k.opts.NodeName, err)
		}
	}
}

func (k *Kubelet) renewNodeStatus(ctx context.Context) error {
	node, err := k.client.CoreV1().Nodes().Get(ctx, k.opts.NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	ready := corev1.NodeCondition{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "loopback kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready.LastTransitionTime = c.LastTransitionTime
		}
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	node.Status.Conditions = []corev1.NodeCondition{ready}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: k.nodeIP},
		{Type: corev1.NodeHostName, Address: k.opts.NodeName},
	}
	node.Status.Capacity, node.Status.Allocatable = capacity, capacity
	node.Status.NodeInfo.KubeletVersion = "loopback"
	node.Status.NodeInfo.OperatingSystem, node.Status.NodeInfo.Architecture = "linux", "amd64"
	_, err = k.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

func (k *Kubelet) renewLease(ctx context.Context) error {
	leases := k.client.CoordinationV1().Leases(leaseNamespace)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, k.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.opts.NodeName},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(k.opts.NodeName),
				LeaseDurationSeconds: ptr.To(max(1, int32(4*k.opts.HeartbeatInterval/time.Second))),
				RenewTime:            &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
