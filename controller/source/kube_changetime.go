package source

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// maxStamps bounds the change times waiting for their event handler; past it, changes are not
// timed (the metric loses samples, memory stays bounded).
const maxStamps = 1 << 16

// changeClock keeps when objects say they changed, so the time to apply a change can count from
// the change itself, not from when this process saw it (which after an API outage can be much
// later). The time comes from the object: the newest of its managedFields times, its
// creationTimestamp and deletionTimestamp. These have a resolution of one second (truncated), so
// a duration measured from them can be up to a second too long.
type changeClock struct {
	// since is when the source started: older changes were applied before this process ran.
	since time.Time

	mu sync.Mutex
	// stamps are taken in the cache's transform, before managedFields are stripped, and handed
	// to the event handler of the same object version.
	stamps map[stampKey]time.Time
	// oldest is the oldest change handled and not yet taken by the Runner.
	oldest time.Time
}

type stampKey struct {
	uid             types.UID
	resourceVersion string
}

func newChangeClock() *changeClock {
	return &changeClock{since: time.Now().Truncate(time.Second), stamps: map[stampKey]time.Time{}}
}

// transform is the cache's transform: it keeps the object's change time, then strips
// managedFields, which nothing else reads and which are a large share of every cached object.
func (c *changeClock) transform(obj any) (any, error) {
	if o, ok := obj.(metav1.Object); ok {
		if at := changedAt(o); !at.Before(c.since) {
			c.mu.Lock()
			if len(c.stamps) < maxStamps {
				c.stamps[keyOf(o)] = at
			}
			c.mu.Unlock()
		}
	}
	return cache.TransformStripManagedFields()(obj)
}

// handled takes the change time kept for obj's version (zero if none) and, when counts, keeps it
// as the oldest change not yet applied if it is.
func (c *changeClock) handled(obj any, counts bool) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := keyOf(o)
	at, ok := c.stamps[key]
	if !ok {
		return
	}
	delete(c.stamps, key)
	if counts && (c.oldest.IsZero() || at.Before(c.oldest)) {
		c.oldest = at
	}
}

// take returns the oldest change handled since the last take, and forgets it.
func (c *changeClock) take() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.oldest
	c.oldest = time.Time{}
	return at
}

func keyOf(o metav1.Object) stampKey {
	return stampKey{uid: o.GetUID(), resourceVersion: o.GetResourceVersion()}
}

// changedAt is the newest time o says it was changed at.
func changedAt(o metav1.Object) time.Time {
	at := o.GetCreationTimestamp().Time
	for _, f := range o.GetManagedFields() {
		if f.Time != nil && f.Time.After(at) {
			at = f.Time.Time
		}
	}
	if d := o.GetDeletionTimestamp(); d != nil && d.After(at) && !d.After(time.Now()) {
		at = d.Time
	}
	return at
}
