package quarantine

import (
	"context"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Check asks HAProxy whether it would take a data plane, without applying it. refused is
// HAProxy's message when it would not, empty when it would; err means the check could not be
// run at all.
type Check func(ctx context.Context, dp model.DataPlane) (refused string, err error)

// Isolation is what Isolate found.
type Isolation struct {
	// Found are the parts responsible, each with HAProxy's message about it.
	Found []Entry
	// Complete is true when the data plane without Found passes the check. False with Found
	// empty and Attributable false: even with every part left out it is refused, so no object is
	// to blame (the controller's own settings, the machine). False otherwise: the checks ran out.
	Complete     bool
	Attributable bool
	// Checks is how many checks it ran.
	Checks int
}

// Isolate finds the parts of dp that make HAProxy refuse it, given that dp itself was refused
// with message refusal, in at most maxChecks checks.
//
// Leaving parts out never makes HAProxy refuse a configuration it took, so the search is a
// bisection over the sorted parts: the shortest prefix whose removal makes dp pass ends with a
// part HAProxy refuses, with HAProxy's message from the check just before. That part is set
// aside and the search starts over until the rest passes: about log2(parts)+1 checks per part
// found (14 for 10,000 routes). What maxChecks leaves unfound is found by the next call, which
// starts from what this one set aside.
func Isolate(ctx context.Context, check Check, dp model.DataPlane, refusal string, maxChecks int) (Isolation, error) {
	var out Isolation
	run := func(without []Part) (string, error) {
		out.Checks++
		return check(ctx, Without(dp, without))
	}
	parts := Parts(dp)
	if refused, err := run(parts); err != nil || refused != "" {
		return out, err
	}
	out.Attributable = true
	var removed []Part
	failing := refusal // HAProxy's message for dp without removed
	for out.Checks < maxChecks {
		rest := slices.DeleteFunc(slices.Clone(parts), func(p Part) bool { return slices.Contains(removed, p) })
		// dp without removed and rest[:lo] is refused with failing; without rest[:hi] it passes.
		lo, hi := 0, len(rest)
		for hi-lo > 1 {
			if out.Checks >= maxChecks {
				return out, nil
			}
			mid := (lo + hi) / 2
			refused, err := run(slices.Concat(removed, rest[:mid]))
			if err != nil {
				return out, err
			}
			if refused == "" {
				hi = mid
			} else {
				lo, failing = mid, refused
			}
		}
		culprit := rest[hi-1]
		out.Found = append(out.Found, Entry{Part: culprit, Fingerprint: Fingerprint(dp, culprit), Message: failing})
		removed = append(removed, culprit)
		if out.Checks >= maxChecks {
			return out, nil
		}
		refused, err := run(removed)
		if err != nil {
			return out, err
		}
		if refused == "" {
			out.Complete = true
			return out, nil
		}
		failing = refused
	}
	return out, nil
}
