package controller

import (
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
)

// oldestChange is the time of the oldest change src signalled and the Runner has not yet taken,
// as the objects say; zero for a source whose objects carry no time.
func oldestChange(src source.Source) time.Time {
	if c, ok := src.(source.ChangeClock); ok {
		return c.TakeOldestChange()
	}
	return time.Time{}
}

// changeCauses are the kinds of the changes src signalled since the last call; nil for a source
// that does not tell.
func changeCauses(src source.Source) map[string]int {
	if c, ok := src.(source.ChangeCauses); ok {
		return c.TakeChangeCauses()
	}
	return nil
}

// earliest is the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
