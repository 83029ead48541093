package bench

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apiArrivals records when a watcher of the API server, this benchmark, is told of each change to
// some objects: from a change's request to its event here is the time the API server and its watch
// take, which every controller's figure includes before the controller can start.
type apiArrivals struct {
	mu sync.Mutex
	// at is when each resourceVersion's event arrived.
	at map[string]time.Time
}

// watchArrivals watches the objects list and opts select, from now on, until ctx ends.
func (r *rig) watchArrivals(ctx context.Context, list client.ObjectList, opts ...client.ListOption) *apiArrivals {
	r.t.Helper()
	if err := r.client.List(ctx, list, append(opts, client.Limit(1))...); err != nil {
		r.t.Fatal(err)
	}
	listMeta, err := meta.ListAccessor(list)
	if err != nil {
		r.t.Fatal(err)
	}
	from := &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: listMeta.GetResourceVersion()}}
	w, err := r.client.Watch(ctx, list, append(opts, from)...)
	if err != nil {
		r.t.Fatal(err)
	}
	a := &apiArrivals{at: map[string]time.Time{}}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			now := time.Now()
			if o, ok := ev.Object.(client.Object); ok {
				a.mu.Lock()
				a.at[o.GetResourceVersion()] = now
				a.mu.Unlock()
			}
		}
	}()
	return a
}

// seen reports whether the event of resourceVersion rv has arrived.
func (a *apiArrivals) seen(rv string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.at[rv]
	return ok
}

// since is the time from start to the arrival of the event of resourceVersion rv, waiting for it
// up to a few seconds; false when it did not come.
func (a *apiArrivals) since(start time.Time, rv string) (time.Duration, bool) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		a.mu.Lock()
		at, ok := a.at[rv]
		delete(a.at, rv)
		a.mu.Unlock()
		if ok {
			return at.Sub(start), true
		}
	}
	return 0, false
}
