package controller

import (
	"errors"
	"testing"
	"time"
)

func TestEarliestIgnoresZero(t *testing.T) {
	a, b := time.Unix(100, 0), time.Unix(200, 0)
	for _, c := range []struct{ x, y, want time.Time }{
		{a, b, a}, {b, a, a}, {time.Time{}, b, b}, {a, time.Time{}, a}, {time.Time{}, time.Time{}, time.Time{}},
	} {
		if got := earliest(c.x, c.y); !got.Equal(c.want) {
			t.Errorf("earliest(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

// Only applies that changed HAProxy and carry an object change time are recorded.
func TestObjectChangeObservedOnlyForAppliedChanges(t *testing.T) {
	m := NewMetrics()
	m.observeObjectChange(ApplyResult{Changed: true}, time.Time{})
	m.observeObjectChange(ApplyResult{Changed: false}, time.Now())
	m.observeObjectChange(ApplyResult{Changed: true, Err: errors.New("refused")}, time.Now())
	m.observeObjectChange(ApplyResult{Changed: true}, time.Now().Add(-3*time.Second))
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	var sum float64
	for _, f := range families {
		if f.GetName() == "haproxy_gateway_object_change_to_applied_seconds" {
			count, sum = f.GetMetric()[0].GetHistogram().GetSampleCount(), f.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	if count != 1 || sum < 3 || sum > 4 {
		t.Errorf("count %d sum %v, want one sample of about 3 s", count, sum)
	}
}
