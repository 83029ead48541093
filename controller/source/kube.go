package source

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// KubeOptions configures NewKube. The zero value is usable.
type KubeOptions struct {
	// Log receives the source's own messages. Nil: the logrus standard logger.
	Log logrus.FieldLogger
	// SyncTimeout bounds how long Start waits for the first full list of every kind. Zero: until
	// Start's context ends.
	SyncTimeout time.Duration
	// ServiceNamespace holds the per-Gateway Services (service mode): its Services are always
	// read. Other Services, Secrets and EndpointSlices are read only when a Gateway or route
	// names them.
	ServiceNamespace string
	// OnIgnored, when set, is told the kind of each change that cannot change a build.
	OnIgnored func(kind string)
}

// Kube watches the API server through one controller-runtime cache. Events only signal Changes;
// all reading happens in Snapshot, so a burst of events costs one list of the cache, not one per
// event.
type Kube struct {
	log      logrus.FieldLogger
	timeout  time.Duration
	scheme   *runtime.Scheme
	cache    cache.Cache
	client   client.Client
	crds     apiextensionsclient.Interface
	changes  notifier
	health   *apiHealth
	clock    *changeClock
	interest *interest
	routes   routeStores
	// trustBundleAPI is the ClusterTrustBundle version watched, or why none is.
	trustBundleAPI trustBundleAPI
	// slices are the cached EndpointSlices, indexed by their Service (sliceServiceIndex).
	slices toolscache.Indexer
	// handlers are the event handlers' registrations: Start waits until each has seen every
	// object its informer listed, so the route stores are whole before the first snapshot.
	handlers []toolscache.ResourceEventHandlerRegistration

	mu sync.Mutex
	// lastCRDErr keeps the last failure reading the CRD, so a persistent one is logged once.
	lastCRDErr string
	// bundle is the last bundle version read and when; see bundleVersion.
	bundle   string
	bundleAt time.Time
}

// watchedKinds are the objects a build reads; one informer each. ClusterTrustBundles come on top
// where the API server serves them (see trustBundleAPI).
func watchedKinds() []client.Object {
	return []client.Object{
		&gatewayv1.GatewayClass{},
		&gatewayv1.Gateway{},
		&gatewayv1.TLSRoute{},
		&gatewayv1.HTTPRoute{},
		&gatewayv1.GRPCRoute{},
		&gatewayv1.ReferenceGrant{},
		&corev1.Service{},
		&discoveryv1.EndpointSlice{},
		&corev1.Secret{},
		&corev1.Namespace{},
		&gatewayv1.BackendTLSPolicy{},
		&corev1.ConfigMap{},
	}
}

// caBundleOnly keeps of a ConfigMap only the key a build reads (ca.crt, the CA bundles of
// BackendTLSPolicies and client certificate validation): a cluster has many ConfigMaps, most of
// them large and nothing to a Gateway, and the cache holds every one.
func caBundleOnly(next toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			ca, has := cm.Data[snapshot.CACertificateKey]
			cm.Data, cm.BinaryData = nil, nil
			if has {
				cm.Data = map[string]string{snapshot.CACertificateKey: ca}
			}
		}
		return next(obj)
	}
}

// withoutUnreadMetadata drops the labels, annotations and owner references of the kinds whose
// metadata no build reads beyond identity, versions and times: routes, ReferenceGrants,
// BackendTLSPolicies, Secrets, ConfigMaps and GatewayClasses. With 10,000 routes they are a large
// share of the cache, and `kubectl apply` puts a copy of the whole object in an annotation.
// Gateways, Services and Namespaces keep theirs: builds read their labels (EndpointSlices keep the
// one label read, see endpointSliceFieldsRead). The status writer's updates go to the status
// subresource, which takes nothing else from the object.
func withoutUnreadMetadata(next toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		switch obj.(type) {
		case *gatewayv1.TLSRoute, *gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute, *gatewayv1.ReferenceGrant,
			*gatewayv1.BackendTLSPolicy, *corev1.Secret, *corev1.ConfigMap, *gatewayv1.GatewayClass:
			o := obj.(metav1.Object)
			o.SetLabels(nil)
			o.SetAnnotations(nil)
			o.SetOwnerReferences(nil)
		}
		return next(obj)
	}
}

// tlsSecrets selects the Secrets a build can use: type kubernetes.io/tls.
func tlsSecrets() fields.Selector {
	return fields.OneTermEqualSelector("type", string(corev1.SecretTypeTLS))
}

// Scheme returns a new scheme with the core Kubernetes types and Gateway API v1.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	// Both only fail on conflicting registrations, which a fresh scheme cannot have.
	_ = clientgoscheme.AddToScheme(s)
	_ = gatewayv1.Install(s)
	return s
}

// NewKube prepares the cache and its informers. It asks the API server only which kinds it serves
// (discovery); listing and watching begin with Start.
func NewKube(cfg *rest.Config, opts KubeOptions) (*Kube, error) {
	log := opts.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	if cfg.QPS == 0 {
		// client-go's default of 5 requests a second would take half an hour to write the status
		// of 10,000 routes. Like controller-runtime's own config loader, leave the pace to the API
		// server's priority and fairness instead.
		cfg = rest.CopyConfig(cfg)
		cfg.QPS = -1
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kube source: http client: %w", err)
	}
	// One mapper for cache and client, so API discovery happens once.
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("kube source: rest mapper: %w", err)
	}
	scheme := Scheme()
	health, clock, shared := &apiHealth{log: log}, newChangeClock(), &sharedValues{}
	trustBundles, err := discoverTrustBundles(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	if trustBundles.obj != nil {
		gvk, _ := apiutil.GVKForObject(trustBundles.obj, scheme)
		log.Infof("kube source: ClusterTrustBundles read through %s", gvk.GroupVersion())
	} else {
		log.Infof("kube source: ClusterTrustBundles cannot be read, %s; CA certificate references to one do not resolve", trustBundles.unavailable)
	}
	byObject := map[client.Object]cache.ByObject{
		// Only certificate Secrets can be used, so only they are listed, watched and cached:
		// the API server filters the rest out, and other Secrets never reach this process.
		&corev1.Secret{}:             {Field: tlsSecrets()},
		&corev1.ConfigMap{}:          {Transform: caBundleOnly(withoutUnreadMetadata(clock.transform))},
		&discoveryv1.EndpointSlice{}: {Transform: endpointSliceFieldsRead(shared.sharing(clock.transform))},
	}
	if trustBundles.obj != nil {
		byObject[trustBundles.obj] = cache.ByObject{Transform: trustBundleOnly(clock.transform)}
	}
	c, err := cache.New(cfg, cache.Options{
		HTTPClient: httpClient,
		Scheme:     scheme,
		Mapper:     mapper,
		// Strips managedFields after reading the change time from them, and the metadata no
		// build reads; routes and Secrets share their repeated values.
		DefaultTransform: shared.sharing(withoutUnreadMetadata(clock.transform)),
		// An API outage is waited out at a steady pace and said once (see apiHealth).
		NewInformer:              health.newInformer(scheme),
		DefaultWatchErrorHandler: health.watchError,
		// The cache's readers deep-copy by default (DefaultUnsafeDisableDeepCopy stays unset): the
		// status writer gets private copies it may change. Snapshot asks for shared objects.
		ByObject: byObject,
	})
	if err != nil {
		return nil, fmt.Errorf("kube source: cache: %w", err)
	}
	cl, err := client.New(cfg, client.Options{
		HTTPClient: httpClient,
		Scheme:     scheme,
		Mapper:     mapper,
		Cache:      &client.CacheOptions{Reader: c},
	})
	if err != nil {
		return nil, fmt.Errorf("kube source: client: %w", err)
	}
	crds, err := apiextensionsclient.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("kube source: apiextensions client: %w", err)
	}
	k := &Kube{log: log, timeout: opts.SyncTimeout, scheme: scheme, cache: c, client: cl, crds: crds, changes: newNotifier(),
		health: health, clock: clock, interest: newInterest(opts.ServiceNamespace, opts.OnIgnored), trustBundleAPI: trustBundles}
	if err := k.addHandlers(); err != nil {
		return nil, err
	}
	if k.slices, err = sliceIndex(c); err != nil {
		return nil, err
	}
	return k, nil
}

// addHandlers creates one informer per kind (before the cache starts, so GetInformer does not
// block) with a handler that only signals, and only for changes that can change a build (see
// interest): any work here would delay every other event.
func (k *Kube) addHandlers() error {
	handler := toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			k.routes.observe(obj, false)
			// The clock forgets every event's change time; only the ones that signal count.
			counts := k.interest.change(nil, obj)
			k.clock.handled(obj, counts)
			if counts {
				k.changes.notify()
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			k.routes.observe(newObj, false)
			// Periodic resyncs deliver the same object again; it cannot change a build.
			if sameVersion(oldObj, newObj) || statusOnly(oldObj, newObj) || !k.interest.change(oldObj, newObj) {
				k.clock.handled(newObj, false)
				return
			}
			k.clock.handled(newObj, true)
			k.changes.notify()
		},
		DeleteFunc: func(obj any) {
			k.routes.observe(obj, true)
			counts := k.interest.change(nil, obj)
			// Only a deletionTimestamp tells when a deletion happened; without one the time
			// the deletion was seen is all there is.
			o, ok := obj.(client.Object)
			k.clock.handled(obj, counts && ok && o.GetDeletionTimestamp() != nil)
			if counts {
				k.changes.notify()
			}
		},
	}
	kinds := watchedKinds()
	if k.trustBundleAPI.obj != nil {
		kinds = append(kinds, k.trustBundleAPI.obj)
	}
	for _, obj := range kinds {
		inf, err := k.cache.GetInformer(context.Background(), obj)
		if err != nil {
			return fmt.Errorf("kube source: informer for %T: %w", obj, err)
		}
		registration, err := inf.AddEventHandler(handler)
		if err != nil {
			return fmt.Errorf("kube source: handler for %T: %w", obj, err)
		}
		k.handlers = append(k.handlers, registration)
	}
	return nil
}

// statusOnly is true for an update of a GatewayClass, Gateway or route that changed neither its
// spec (same generation) nor its deletion, nor what the build reads from its status (a Gateway's
// addresses): in practice the controller's own status writes. A rebuild for one cannot change the
// data plane, and with thousands of routes every status write would cost a full rebuild (a new
// route's pass writes the Gateway's attachedRoutes, which rebuilt everything once more).
// Status is still read from the cache on the next rebuild for any other reason.
func statusOnly(oldObj, newObj any) bool {
	o, ok1 := oldObj.(client.Object)
	n, ok2 := newObj.(client.Object)
	if !ok1 || !ok2 || o.GetGeneration() != n.GetGeneration() || !o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp()) {
		return false
	}
	switch n := n.(type) {
	case *gatewayv1.TLSRoute, *gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute, *gatewayv1.GatewayClass, *gatewayv1.BackendTLSPolicy:
		return true
	case *gatewayv1.Gateway:
		o, ok := o.(*gatewayv1.Gateway)
		return ok && equality.Semantic.DeepEqual(o.Status.Addresses, n.Status.Addresses)
	}
	return false
}

func sameVersion(oldObj, newObj any) bool {
	o, ok1 := oldObj.(client.Object)
	n, ok2 := newObj.(client.Object)
	return ok1 && ok2 && o.GetResourceVersion() == n.GetResourceVersion()
}

func (k *Kube) Changes() <-chan struct{} { return k.changes }

// TakeOldestChange implements ChangeClock.
func (k *Kube) TakeOldestChange() time.Time { return k.clock.take() }

// TakeChanged implements KeyedChanges.
func (k *Kube) TakeChanged() Changed { return k.interest.takeChanged() }

// TLSRoutes implements KeyedChanges, from the route store.
func (k *Kube) TLSRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.TLSRoute {
	return k.routes.tls.get(keys)
}

// HTTPRoutes implements KeyedChanges, from the route store.
func (k *Kube) HTTPRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.HTTPRoute {
	return k.routes.http.get(keys)
}

// GRPCRoutes implements KeyedChanges, from the route store.
func (k *Kube) GRPCRoutes(keys map[types.NamespacedName]bool) map[types.NamespacedName]*gatewayv1.GRPCRoute {
	return k.routes.grpc.get(keys)
}

// TakeChangeCauses implements ChangeCauses.
func (k *Kube) TakeChangeCauses() map[string]int { return k.interest.takeCauses() }

// handlersSynced reports whether every event handler has seen what its informer first listed.
func (k *Kube) handlersSynced() bool {
	for _, h := range k.handlers {
		if !h.HasSynced() {
			return false
		}
	}
	return true
}

// Client reads from the cache and writes to the API server: what the status writer needs.
func (k *Kube) Client() client.Client { return k.client }

// Scheme is the scheme the cache and client were built with.
func (k *Kube) Scheme() *runtime.Scheme { return k.scheme }

// Start runs the cache until ctx ends and returns once every informer has listed its kind. A
// cache that stops early (say, a kind whose CRD is not installed) ends the wait with its error
// instead of leaving Start blocked.
func (k *Kube) Start(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- k.cache.Start(ctx) }()

	// Cancelled on return, so the waiting goroutine ends when the cache stopped first.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if k.timeout > 0 {
		var cancelTimeout context.CancelFunc
		waitCtx, cancelTimeout = context.WithTimeout(waitCtx, k.timeout)
		defer cancelTimeout()
	}
	synced := make(chan bool, 1)
	go func() {
		synced <- k.cache.WaitForCacheSync(waitCtx) && toolscache.WaitForCacheSync(waitCtx.Done(), k.handlersSynced)
	}()

	select {
	case ok := <-synced:
		if !ok {
			return fmt.Errorf("kube source: caches did not sync: %w", context.Cause(waitCtx))
		}
	case err := <-done:
		if err == nil {
			err = errors.New("cache stopped")
		}
		return fmt.Errorf("kube source: %w", err)
	}
	k.log.Info("kube source: caches synced")
	// The first Snapshot after Start must happen even if no event arrives later.
	k.changes.notify()
	return nil
}
