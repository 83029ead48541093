package syntax

import (
	"fmt"
	"time"
)

// MaxTimeout is the longest timeout HAProxy keeps: it counts timeouts in milliseconds in a signed
// 32-bit int, and a longer value set at run time would wrap around.
const MaxTimeout = (1<<31 - 1) * time.Millisecond

// maxDurationParts and maxDurationDigits are Gateway API's limits on a Duration (GEP-2257): at
// most four number-unit parts, each number at most five digits.
const (
	maxDurationParts  = 4
	maxDurationDigits = 5
)

// Timeout reads a Gateway API Duration (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, such as "500ms",
// "1h30m" or "0s") given as an HTTPRoute timeout, and checks that HAProxy can keep it (at most
// MaxTimeout). Only this form passes: no sign, no fraction, no space, no other unit, so the
// value the proxy is given is exactly the one the route names.
func Timeout(d string) (time.Duration, error) {
	if d == "" {
		return 0, fmt.Errorf("duration is empty")
	}
	var total time.Duration
	parts := 0
	for i := 0; i < len(d); {
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		digits := i - start
		if digits == 0 || digits > maxDurationDigits {
			return 0, notDuration(d)
		}
		var n int64
		for _, c := range d[start:i] {
			n = n*10 + int64(c-'0')
		}
		var unit time.Duration
		switch {
		case i+1 < len(d) && d[i:i+2] == "ms":
			unit, i = time.Millisecond, i+2
		case i < len(d) && d[i] == 'h':
			unit, i = time.Hour, i+1
		case i < len(d) && d[i] == 'm':
			unit, i = time.Minute, i+1
		case i < len(d) && d[i] == 's':
			unit, i = time.Second, i+1
		default:
			return 0, notDuration(d)
		}
		if parts++; parts > maxDurationParts {
			return 0, notDuration(d)
		}
		// Four parts of at most 99999 hours each fit in a time.Duration many times over.
		total += time.Duration(n) * unit
	}
	if total > MaxTimeout {
		return 0, fmt.Errorf("duration %s is longer than %s, the longest timeout HAProxy keeps", Printable(d), MaxTimeout)
	}
	return total, nil
}

func notDuration(d string) error {
	return fmt.Errorf("duration %s is not a Gateway API duration: 1 to 4 parts of a number (at most 5 digits) and a unit h, m, s or ms, such as 500ms or 1h30m", Printable(d))
}
