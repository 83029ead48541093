package model

import (
	"cmp"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestWalkSorted(t *testing.T) {
	var got []string
	WalkSorted([]int{1, 3, 4, 7}, []int{2, 3, 7, 8, 9}, cmp.Compare[int], func(x, y *int) {
		switch {
		case x == nil:
			got = append(got, "+"+string(rune('0'+*y)))
		case y == nil:
			got = append(got, "-"+string(rune('0'+*x)))
		default:
			got = append(got, "="+string(rune('0'+*x)))
		}
	})
	want := []string{"-1", "+2", "=3", "-4", "=7", "+8", "+9"}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
