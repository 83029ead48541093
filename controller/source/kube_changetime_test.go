package source

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func route(rv string, created time.Time, managed ...time.Time) *gatewayv1.TLSRoute {
	r := &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Name: "r", UID: "u1", ResourceVersion: rv, CreationTimestamp: metav1.NewTime(created)}}
	for _, m := range managed {
		r.ManagedFields = append(r.ManagedFields, metav1.ManagedFieldsEntry{Manager: "kubectl", Time: &metav1.Time{Time: m}})
	}
	return r
}

func TestChangeClockTakesNewestManagedFieldsTime(t *testing.T) {
	c := newChangeClock()
	base := c.since.Add(10 * time.Second)
	obj, err := c.transform(route("2", base, base.Add(3*time.Second), base.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if len(obj.(*gatewayv1.TLSRoute).ManagedFields) != 0 {
		t.Error("managedFields kept in the cache")
	}
	c.handled(obj, true)
	if got := c.take(); !got.Equal(base.Add(3 * time.Second)) {
		t.Errorf("took %v, want the newest managedFields time %v", got, base.Add(3*time.Second))
	}
	if got := c.take(); !got.IsZero() {
		t.Errorf("second take %v, want zero", got)
	}
	if len(c.stamps) != 0 {
		t.Errorf("%d stamps left", len(c.stamps))
	}
}

// The oldest change not yet taken is kept; ignored updates and changes from before the source
// started are not timed.
func TestChangeClockKeepsOldest(t *testing.T) {
	c := newChangeClock()
	base := c.since.Add(10 * time.Second)
	for _, step := range []struct {
		obj    *gatewayv1.TLSRoute
		counts bool
	}{
		{route("3", base, base.Add(5*time.Second)), true},
		{route("4", base, base.Add(2*time.Second)), true},
		{route("5", base, base.Add(time.Second)), false},
		{route("6", c.since.Add(-time.Hour)), true},
	} {
		obj, _ := c.transform(step.obj)
		c.handled(obj, step.counts)
	}
	if got := c.take(); !got.Equal(base.Add(2 * time.Second)) {
		t.Errorf("took %v, want %v", got, base.Add(2*time.Second))
	}
}

func TestChangedAtUsesDeletionTimestamp(t *testing.T) {
	base := time.Now().Add(-time.Minute).Truncate(time.Second)
	r := route("7", base, base.Add(time.Second))
	deleted := metav1.NewTime(base.Add(30 * time.Second))
	r.DeletionTimestamp = &deleted
	if got := changedAt(r); !got.Equal(deleted.Time) {
		t.Errorf("changedAt %v, want the deletionTimestamp %v", got, deleted.Time)
	}
}
