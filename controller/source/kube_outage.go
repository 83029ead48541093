package source

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// unreachableRetry is how lists and watches are tried again while the API server does not answer.
// client-go's reflector backs off from 0.8 s up to [30, 60) s, so after a 30 s outage it noticed
// the API server's return only some 40 s later; this retries at least every second instead. A try
// against a server that is down costs one refused connection.
var unreachableRetry = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 10, Cap: time.Second}

// apiHealth says when the API server stopped answering the cache and when it answered again: one
// line each per outage, however many kinds and retries noticed it.
type apiHealth struct {
	log logrus.FieldLogger
	mu  sync.Mutex
	// down is when the current outage was noticed; zero while the API server answers.
	down time.Time
}

func (h *apiHealth) failed(kind string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.IsZero() {
		return
	}
	h.down = time.Now()
	h.log.WithError(err).WithField("kind", kind).Warn("kube source: lost the API server; HAProxy keeps serving the last configuration, changes wait until it answers again")
}

func (h *apiHealth) answered(kind string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.IsZero() {
		return
	}
	h.log.WithFields(logrus.Fields{"kind": kind, "outage": time.Since(h.down).Round(time.Millisecond).String()}).
		Info("kube source: the API server answers again; catching up on changes")
	h.down = time.Time{}
}

// watchError replaces client-go's handler for errors that end a reflector's list and watch, which
// logs every one: a watch that expired or closed is routine; anything else is said once until the
// API server answers again.
func (h *apiHealth) watchError(_ context.Context, r *toolscache.Reflector, err error) {
	if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || errors.Is(err, context.Canceled) || utilnet.IsProbableEOF(err) {
		return
	}
	h.failed(r.TypeDescription(), err)
}

// newInformer is the cache's informer constructor with lists and watches that wait for an
// unreachable API server (see unreachableRetry).
func (h *apiHealth) newInformer(scheme *runtime.Scheme) func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer {
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
		kind := "unknown"
		if gvk, err := apiutil.GVKForObject(obj, scheme); err == nil {
			kind = gvk.Kind
		}
		patient := &patientListWatch{lw: toolscache.ToListerWatcherWithContext(lw), kind: kind, health: h}
		return toolscache.NewSharedIndexInformer(patient, obj, resync, withoutUnusedIndexes(kind, indexers))
	}
}

// patientListWatch retries lists and watches that failed because the API server did not answer,
// so the reflector above it never backs off for an outage.
type patientListWatch struct {
	lw     toolscache.ListerWatcherWithContext
	kind   string
	health *apiHealth
}

func (p *patientListWatch) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	return retryUnreachable(ctx, p, func() (runtime.Object, error) { return p.lw.ListWithContext(ctx, opts) })
}

func (p *patientListWatch) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return retryUnreachable(ctx, p, func() (watch.Interface, error) { return p.lw.WatchWithContext(ctx, opts) })
}

// List and Watch complete toolscache.ListerWatcher; the reflector uses the context variants.
func (p *patientListWatch) List(opts metav1.ListOptions) (runtime.Object, error) {
	return p.ListWithContext(context.Background(), opts)
}

func (p *patientListWatch) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return p.WatchWithContext(context.Background(), opts)
}

// retryUnreachable calls call until it succeeds, fails for another reason than an unreachable or
// overloaded API server, or ctx ends.
func retryUnreachable[T any](ctx context.Context, p *patientListWatch, call func() (T, error)) (T, error) {
	backoff := unreachableRetry
	for {
		v, err := call()
		if err == nil {
			p.health.answered(p.kind)
			return v, nil
		}
		if !unreachable(err) || ctx.Err() != nil {
			return v, err
		}
		p.health.failed(p.kind, err)
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(backoff.Step()):
		}
	}
}

// unreachable is true for errors that say the API server did not answer (a refused or broken
// connection, a timeout) or cannot answer yet (starting, overloaded); not for its answers.
func unreachable(err error) bool {
	if apierrors.IsServiceUnavailable(err) || apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || utilnet.IsProbableEOF(err) || utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err)
}
