package syntax

import (
	"math/rand/v2"
	"regexp"
	"testing"
	"time"
)

func TestTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0s": 0, "0ms": 0, "500ms": 500 * time.Millisecond, "1s": time.Second, "1h30m": 90 * time.Minute,
		"1h1m1s1ms": time.Hour + time.Minute + time.Second + time.Millisecond, "99999ms": 99999 * time.Millisecond,
		"1s1s":            2 * time.Second, // GEP-2257's pattern repeats any unit
		"596h31m23s647ms": MaxTimeout,
	} {
		got, err := Timeout(in)
		if err != nil || got != want {
			t.Errorf("Timeout(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "s", "-1s", "+1s", "1.5s", "1 s", "1S", "1us", "1d", "100000s", "1h1m1s1ms1h",
		"1s;show info", "1s\n", "596h31m23s648ms", "99999h"} {
		if got, err := Timeout(in); err == nil {
			t.Errorf("Timeout(%q) = %v, want an error", in, got)
		}
	}
}

// gatewayDuration is GEP-2257's pattern for a Duration.
var gatewayDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// TestTimeoutAgainstThePattern compares Timeout with GEP-2257's pattern and time.ParseDuration on
// random strings of duration characters and a few others.
func TestTimeoutAgainstThePattern(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789999990000hmsmsmsu.-+ ;"
	for range 200_000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		in := string(b)
		got, err := Timeout(in)
		want, perr := time.ParseDuration(in)
		ok := gatewayDuration.MatchString(in) && perr == nil && want <= MaxTimeout
		if (err == nil) != ok || ok && got != want {
			t.Fatalf("Timeout(%q) = %v, %v; the pattern says %v, time.ParseDuration %v, %v", in, got, err, gatewayDuration.MatchString(in), want, perr)
		}
	}
}
