package kubelet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echobasic"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// podRuntime is what runs for one pod: its addresses and its containers' servers.
type podRuntime struct {
	uid types.UID
	ip  netip.Addr
	// ip6 is the pod's IPv6 address when pods are dual-stack, else the zero Addr.
	ip6     netip.Addr
	pool    *addressPool
	servers []*echobasic.Server
	started bool // all containers are running
}

// addrs are the pod's addresses, IPv4 (the primary one) first, as status.podIPs lists them.
func (rt *podRuntime) addrs() []string {
	if !rt.ip6.IsValid() {
		return []string{rt.ip.String()}
	}
	return []string{rt.ip.String(), rt.ip6.String()}
}

// stop closes the servers and gives the address back.
func (rt *podRuntime) stop() {
	for _, s := range rt.servers {
		s.Close()
	}
	rt.servers = nil
	rt.pool.release(rt.ip)
}

// syncPod moves one pod towards its desired state. retryIn > 0 asks to be called again later
// (a Secret may appear); an error is retried with backoff.
func (k *Kubelet) syncPod(ctx context.Context, key string) (retryIn time.Duration, err error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := k.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		k.forget(key, "")
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" {
		return 0, k.bind(ctx, pod)
	}
	if !k.isOurs(pod) {
		return 0, nil
	}
	// A pod recreated under the same name is a new pod: drop what ran for the old one.
	k.forget(key, pod.UID)
	if pod.DeletionTimestamp != nil {
		return 0, k.finishDeletion(ctx, key, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}

	rt, err := k.runtimeFor(key, pod)
	if err != nil {
		return 0, err
	}
	if !rt.started {
		if err := k.startContainers(ctx, rt, pod); err != nil {
			var missing errMissing
			if !errors.As(err, &missing) {
				k.opts.Logf("pod %s: waiting: %v", key, err)
			}
			return k.opts.RetryInterval, k.writeStatus(ctx, pod, k.waitingStatus(pod, err.Error()))
		}
		k.opts.Logf("pod %s: running at %s", key, strings.Join(rt.addrs(), " and "))
	}
	return 0, k.writeStatus(ctx, pod, k.runningStatus(pod, rt.addrs()))
}

// bind does the scheduler's one job here: put the pod on this node.
func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.opts.NodeName},
	}, metav1.CreateOptions{})
	// Conflict: bound already (the update event brings it back); NotFound: deleted meanwhile.
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// finishDeletion stops the pod's servers, then removes the pod for good: with nothing left to
// shut down gracefully there is no reason to wait out the grace period.
func (k *Kubelet) finishDeletion(ctx context.Context, key string, pod *corev1.Pod) error {
	k.forget(key, "")
	err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err == nil {
		k.opts.Logf("pod %s: deleted", key)
	}
	return err
}

// forget stops what runs for key unless it belongs to the pod with UID keep.
func (k *Kubelet) forget(key string, keep types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rt, ok := k.running[key]
	if !ok || (keep != "" && rt.uid == keep) {
		return
	}
	rt.stop()
	delete(k.running, key)
}

// runtimeFor returns the pod's runtime, giving it an address on first sight. A pod that already
// reports an address in range (from an earlier run of this kubelet) keeps it.
func (k *Kubelet) runtimeFor(key string, pod *corev1.Pod) (*podRuntime, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rt, ok := k.running[key]; ok {
		return rt, nil
	}
	ip, err := k.ips.allocate(pod.Status.PodIP)
	if err != nil {
		return nil, err
	}
	rt := &podRuntime{uid: pod.UID, ip: ip, pool: k.ips}
	if k.v6.IsValid() {
		rt.ip6 = v6For(k.v6, ip)
	}
	k.running[key] = rt
	return rt, nil
}

// startContainers resolves every container's environment and files first, so a missing Secret
// starts nothing, then starts the echo servers. On failure nothing is left running.
func (k *Kubelet) startContainers(ctx context.Context, rt *podRuntime, pod *corev1.Pod) error {
	data := &keyedData{k: k, namespace: pod.Namespace, cache: map[string]map[string][]byte{}}
	var pods []echobasic.Pod
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		env, err := resolveEnv(ctx, data, pod, c, rt.addrs(), k.nodeIP)
		if err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
		files, err := resolveFiles(ctx, data, pod, c)
		if err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
		if servesEchoBasic(c.Image) {
			pods = append(pods, echobasic.Pod{Env: env, Files: files})
		}
	}
	for _, p := range pods {
		s, err := echobasic.StartOn(rt.addrs(), p)
		if err != nil {
			for _, started := range rt.servers {
				started.Close()
			}
			rt.servers = nil
			return err
		}
		rt.servers = append(rt.servers, s)
	}
	rt.started = true
	return nil
}

// writeStatus writes status unless the pod already shows it.
func (k *Kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, status corev1.PodStatus) error {
	if sameStatus(pod.Status, status) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = status
	_, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
