package translate

import (
	"slices"
	"strings"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// anyHostname is the data plane's name for "every server name": a listener and a route that both
// leave hostnames out.
const anyHostname = "*"

// intersectHostnames returns the hostnames a route serves on a listener, sorted, or nothing when
// they do not meet. A wildcard label "*." matches one or more labels in front of its suffix, so
// "*.com" meets "other.example.com" and "*.example.com".
func intersectHostnames(listener *gatewayv1.Hostname, route []gatewayv1.Hostname) []string {
	listenerName := ""
	if listener != nil {
		listenerName = strings.ToLower(string(*listener))
	}
	if len(route) == 0 {
		if listenerName == "" {
			return []string{anyHostname}
		}
		return []string{listenerName}
	}
	var out []string
	for _, h := range route {
		routeName := strings.ToLower(string(h))
		if listenerName == "" {
			out = append(out, routeName)
			continue
		}
		if narrower, ok := hostnameMeet(listenerName, routeName); ok {
			out = append(out, narrower)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hostnameMeet returns the narrower of two hostnames when one covers the other.
func hostnameMeet(a, b string) (string, bool) {
	switch {
	case a == b:
		return a, true
	case covers(a, b):
		return b, true
	case covers(b, a):
		return a, true
	}
	return "", false
}

// covers reports whether wildcard pattern matches name (an exact name or a narrower wildcard).
func covers(pattern, name string) bool {
	suffix, ok := strings.CutPrefix(pattern, "*")
	if !ok {
		return false
	}
	// suffix starts with "."; name must keep at least one label of its own in front of it.
	head, found := strings.CutSuffix(name, suffix)
	return found && head != "" && head != "*"
}

// hostnameSpecificity is, for each hostname a route serves on a listener (names, from
// intersectHostnames), how precisely the route's own hostnames name it: an exact hostname
// highest, then wildcards by the labels of their suffix, then none for a route without hostnames.
// A more specific claim on a hostname wins over an older one (GEP-3567).
func hostnameSpecificity(route []gatewayv1.Hostname, names []string) []int {
	out := make([]int, len(names))
	for i, name := range names {
		for _, h := range route {
			rh := strings.ToLower(string(h))
			score := 0
			switch suffix, wildcard := strings.CutPrefix(rh, "*."); {
			case !wildcard && rh == name:
				score = exactSpecificity
			case wildcard && (rh == name || strings.HasSuffix(name, "."+suffix)):
				score = 2 + strings.Count(suffix, ".")
			}
			out[i] = max(out[i], score)
		}
	}
	return out
}

// exactSpecificity outranks any wildcard: a hostname has at most 127 labels.
const exactSpecificity = 1 << 10
