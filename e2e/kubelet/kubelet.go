// Package kubelet is a "loopback kubelet" for end-to-end tests on a machine without a container
// runtime. It stands in for the scheduler, the kubelet and the runtime at once: it registers a
// Ready Node, binds unscheduled pods to it, gives each pod an address from a local range (and an
// IPv6 one as well for dual-stack pods), resolves the pod's environment and Secret/ConfigMap
// volumes, and, for the conformance suite's echo-basic image, runs in-process servers that answer
// as that image does (package echobasic). Other images are reported Ready without serving
// anything. Run it inside e2e/netns.sh, which routes the default pod ranges to the loopback device
// so the servers can bind pod addresses.
package kubelet

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// DefaultPodCIDR is the upper half of 10.244.0.0/16: tests that write EndpointSlices by hand use
// the lower addresses, so the two never meet.
const DefaultPodCIDR = "10.244.128.0/17"

// DefaultPodCIDRv6 is the IPv6 range e2e/netns.sh routes to the loopback device for dual-stack pods.
const DefaultPodCIDRv6 = "fd00:10:244::/96"

// Options configures Start. The zero value is usable.
type Options struct {
	// NodeName is the Node to register and bind pods to. Default "loopback".
	NodeName string
	// PodCIDR is where pod addresses come from. Its first address after the network address is the
	// node's; pods get the ones after it. Default DefaultPodCIDR.
	PodCIDR string
	// PodCIDRv6, when set, makes pods dual-stack: each pod also gets the address of this IPv6 range
	// (a /96 or wider) whose last 32 bits are its IPv4 address, and serves on both. Pods stay
	// single-stack IPv4 without it. DefaultPodCIDRv6 is the range e2e/netns.sh makes local.
	PodCIDRv6 string
	// HeartbeatInterval is how often the Node's Ready condition and Lease are renewed. Default 10s.
	HeartbeatInterval time.Duration
	// RetryInterval is how soon a pod whose Secret, ConfigMap or listener is not available yet is
	// tried again. Default 500ms.
	RetryInterval time.Duration
	// Logf, when set, receives one line per pod event (bound, started, waiting, deleted).
	Logf func(format string, args ...any)
}

// Kubelet is a running loopback kubelet. Stop it with Stop.
type Kubelet struct {
	opts   Options
	client kubernetes.Interface
	nodeIP string
	ips    *addressPool
	// v6 is PodCIDRv6, or the zero prefix for single-stack pods.
	v6 netip.Prefix

	pods    corelisters.PodLister
	queue   workqueue.TypedRateLimitingInterface[string]
	cancel  context.CancelFunc
	workers sync.WaitGroup

	mu      sync.Mutex
	running map[string]*podRuntime // by namespace/name

	stopOnce sync.Once
}

// Start registers the Node and starts handling pods. It returns once the pod cache has synced.
func Start(ctx context.Context, cfg *rest.Config, opts Options) (*Kubelet, error) {
	if opts.NodeName == "" {
		opts.NodeName = "loopback"
	}
	if opts.PodCIDR == "" {
		opts.PodCIDR = DefaultPodCIDR
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 10 * time.Second
	}
	if opts.RetryInterval == 0 {
		opts.RetryInterval = 500 * time.Millisecond
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	prefix, err := netip.ParsePrefix(opts.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("pod CIDR: %w", err)
	}
	pool, nodeIP, err := newAddressPool(prefix)
	if err != nil {
		return nil, err
	}
	var v6 netip.Prefix
	if opts.PodCIDRv6 != "" {
		if v6, err = parseV6Range(opts.PodCIDRv6); err != nil {
			return nil, err
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	k := &Kubelet{
		opts:    opts,
		client:  client,
		nodeIP:  nodeIP.String(),
		ips:     pool,
		v6:      v6,
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		running: map[string]*podRuntime{},
	}
	if err := k.registerNode(ctx); err != nil {
		return nil, fmt.Errorf("register node %s: %w", opts.NodeName, err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods()
	k.pods = podInformer.Lister()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    k.enqueue,
		UpdateFunc: func(_, obj any) { k.enqueue(obj) },
		DeleteFunc: k.enqueue,
	}); err != nil {
		cancel()
		return nil, err
	}
	factory.Start(runCtx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		cancel()
		factory.Shutdown()
		return nil, fmt.Errorf("pod cache did not sync: %w", ctx.Err())
	}

	k.workers.Add(1)
	go func() {
		defer k.workers.Done()
		k.heartbeat(runCtx)
	}()
	for range 4 {
		k.workers.Add(1)
		go func() {
			defer k.workers.Done()
			for k.processNext(runCtx) {
			}
		}()
	}
	// Shutting the factory down waits for the informer goroutines; do it once the queue is drained.
	k.workers.Add(1)
	go func() {
		defer k.workers.Done()
		<-runCtx.Done()
		k.queue.ShutDown()
		factory.Shutdown()
	}()
	return k, nil
}

// NodeIP is the Node's InternalIP and every pod's hostIP.
func (k *Kubelet) NodeIP() string { return k.nodeIP }

// Stop stops handling pods and closes every pod's servers. Pods stay in the API as they are.
// It is safe to call more than once.
func (k *Kubelet) Stop() {
	k.stopOnce.Do(func() {
		k.cancel()
		k.workers.Wait()
		k.mu.Lock()
		defer k.mu.Unlock()
		for key, rt := range k.running {
			rt.stop()
			delete(k.running, key)
		}
	})
}

func (k *Kubelet) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		k.queue.Add(key)
	}
}

func (k *Kubelet) processNext(ctx context.Context) bool {
	key, shutdown := k.queue.Get()
	if shutdown {
		return false
	}
	defer k.queue.Done(key)
	retryIn, err := k.syncPod(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		k.opts.Logf("pod %s: %v", key, err)
		k.queue.AddRateLimited(key)
	case retryIn > 0:
		k.queue.Forget(key)
		k.queue.AddAfter(key, retryIn)
	default:
		k.queue.Forget(key)
	}
	return true
}

// servesEchoBasic says whether an image is the conformance suite's echo server.
func servesEchoBasic(image string) bool { return strings.Contains(image, "echo-basic") }

// isOurs says whether a pod is bound to this kubelet's node.
func (k *Kubelet) isOurs(pod *corev1.Pod) bool { return pod.Spec.NodeName == k.opts.NodeName }
