package syntax

import (
	"errors"
	"testing"
)

// TestValidNamesRemembersOnlyValidOnes checks that a name that passed is not checked again, that
// one that failed is checked every time, and that kinds do not share verdicts.
func TestValidNamesRemembersOnlyValidOnes(t *testing.T) {
	var v validNames
	calls := 0
	check := func(s string) error {
		calls++
		if s == "bad" {
			return errors.New("bad")
		}
		return nil
	}
	for range 3 {
		if err := v.check('a', "good", check); err != nil {
			t.Fatal(err)
		}
		if err := v.check('a', "bad", check); err == nil {
			t.Fatal("a bad name passed")
		}
	}
	if calls != 4 {
		t.Errorf("%d checks, want 1 for the good name and 3 for the bad one", calls)
	}
	if err := v.check('b', "good", check); err != nil || calls != 5 {
		t.Errorf("another kind's verdict was reused: %v, %d checks", err, calls)
	}
}
