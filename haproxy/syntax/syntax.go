// Package syntax is the one validation layer between Kubernetes objects and HAProxy: every string
// from an object that reaches haproxy.cfg, a map, a crt-list, a file name or a runtime API command
// is checked here against HAProxy's rules (which are stricter than the CRDs' in places, and looser
// in others: a header value may start with "-", a header name may hold "#"), and written with the
// quoting these functions give. Errors name the problem without echoing long values.
package syntax

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Limits of what a request can carry, shared by the checks below.
const (
	maxHostname    = 253
	maxHeaderName  = 256
	maxHeaderValue = 4096
	maxPath        = 1024
)

// isDNSName reports whether h is DNS labels in lower case (RFC 1123) joined by dots, the first
// optionally "*": `^(\*\.)?L(\.L)*$` with L = `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (the test holds the
// pattern and compares). Written out, because a build checks every hostname of every route.
func isDNSName(h string) bool {
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		h = rest
	}
	start := 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			c := h[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		// h[start:i] is a label.
		if i == start || h[start] == '-' || h[i-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// Hostname checks a listener or route hostname, already in lower case: a DNS name, or one with a
// wildcard first label ("*.example.com"). It becomes a map key, a crt-list SNI filter and a
// runtime API argument, so nothing else may pass: no space, no ";", no newline, no "/".
func Hostname(h string) error {
	switch {
	case h == "":
		return fmt.Errorf("hostname is empty")
	case len(h) > maxHostname:
		return fmt.Errorf("hostname is %d characters long, more than %d", len(h), maxHostname)
	case !isDNSName(h):
		return fmt.Errorf("hostname %s is not a DNS name in lower case, optionally with a wildcard first label", Printable(h))
	case isIPv4(h):
		return fmt.Errorf("hostname %s is an IP address; TLS server names and Host headers of routes are names", h)
	}
	return nil
}

// isIPv4 reports whether h is four runs of digits joined by dots, `^[0-9]+(\.[0-9]+){3}$` (the
// test holds the pattern).
func isIPv4(h string) bool {
	parts, digits := 1, 0
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && digits > 0:
			parts, digits = parts+1, 0
		default:
			return false
		}
	}
	return parts == 4 && digits > 0
}

// The checks of Kubernetes names below take the fast way for a valid name, which is every name
// the API server admitted: a build checks every name of every route. Only a name that fails asks
// apimachinery's validation, for its message; the test holds the two to the same verdicts.

// isDNSSubdomain is validation.IsDNS1123Subdomain's verdict: DNS labels joined by dots.
func isDNSSubdomain(name string) bool {
	return len(name) <= validation.DNS1123SubdomainMaxLength && !strings.HasPrefix(name, "*.") && isDNSName(name)
}

// isDNSLabel is validation.IsDNS1123Label's verdict: one DNS label.
func isDNSLabel(name string) bool {
	return len(name) <= validation.DNS1123LabelMaxLength && !strings.Contains(name, ".") && isDNSName(name)
}

// isDNS1035Label is validation.IsDNS1035Label's verdict: a DNS label that starts with a letter.
func isDNS1035Label(name string) bool {
	return isDNSLabel(name) && name[0] >= 'a' && name[0] <= 'z'
}

// ObjectName checks a Kubernetes object name (a DNS-1123 subdomain, as the API server requires of
// Gateways, routes, Secrets and most kinds): HAProxy proxy and server names take only letters,
// digits and "-_.:", and these names become parts of them.
func ObjectName(name string) error {
	if isDNSSubdomain(name) {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("name %s: %s", Printable(name), errs[0])
	}
	return nil
}

// Namespace checks a namespace name (a DNS-1123 label).
func Namespace(name string) error {
	if isDNSLabel(name) {
		return nil
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("namespace %s: %s", Printable(name), errs[0])
	}
	return nil
}

// ServiceName checks a Service name (a DNS-1035 label): it becomes part of HAProxy server names.
func ServiceName(name string) error {
	if isDNS1035Label(name) {
		return nil
	}
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return fmt.Errorf("Service name %s: %s", Printable(name), errs[0])
	}
	return nil
}

// tchar is an HTTP token character (RFC 9110).
var tokenPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// HeaderName checks an HTTP header name: a token. Every token is allowed, "#" and "'" included:
// names reach the router percent-encoded.
func HeaderName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("header name is empty")
	case len(name) > maxHeaderName:
		return fmt.Errorf("header name is %d characters long, more than %d", len(name), maxHeaderName)
	case !tokenPattern.MatchString(name):
		return fmt.Errorf("header name %s has characters an HTTP header name cannot have", Printable(name))
	}
	return nil
}

// HeaderValue checks a header value to match or to set: any bytes a request can carry, so no
// control characters but tab. A value may start with "-" or hold "{", "}", "#" or quotes: values
// reach the router percent-encoded, where no character of theirs means anything.
func HeaderValue(v string) error {
	switch {
	case len(v) > maxHeaderValue:
		return fmt.Errorf("header value is %d characters long, more than %d", len(v), maxHeaderValue)
	case !utf8.ValidString(v):
		return fmt.Errorf("header value is not valid UTF-8")
	case strings.ContainsFunc(v, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }):
		return fmt.Errorf("header value has control characters a request cannot carry")
	}
	return nil
}

// MaxRuleSize is how large the strings of one HTTPRoute match (its conditions and its rule's
// filters) may be together. A match is one line of a map file and one runtime API command, each
// read into a buffer of tune.bufsize (16 KiB): percent-encoded, the strings may triple in size,
// and the key, the backend name and the command's own words need room too.
const MaxRuleSize = 4096

// RuleSize checks the strings of one route match against MaxRuleSize.
func RuleSize(strs []string) error {
	n := 0
	for _, s := range strs {
		n += len(s) + 1
	}
	if n > MaxRuleSize {
		return fmt.Errorf("the match and its filters hold %d bytes of names and values, more than the %d one map entry takes", n, MaxRuleSize)
	}
	return nil
}

// methods are the HTTP methods Gateway API lets a route match.
var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// Method checks an HTTP method to match.
func Method(m string) error {
	for _, known := range methods {
		if m == known {
			return nil
		}
	}
	return fmt.Errorf("method %s is not one of %s", Printable(m), strings.Join(methods, ", "))
}

// pathPattern is an absolute path of RFC 3986 characters, as Gateway API's path matches allow.
var pathPattern = regexp.MustCompile(`^/([-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$`)

// Path checks a path to match: absolute, of the characters a request path has.
func Path(p string) error {
	switch {
	case len(p) > maxPath:
		return fmt.Errorf("path is %d characters long, more than %d", len(p), maxPath)
	case !pathPattern.MatchString(p):
		return fmt.Errorf("path %s is not an absolute path of the characters a request path has", Printable(p))
	}
	return nil
}

// grpcServicePattern and grpcMethodPattern are the names GRPCRoute's schema allows for an Exact
// match: a service is dot-separated identifiers (a leading dot allowed), a method one identifier.
// Neither may hold "/", which separates them in the request path "/<service>/<method>".
var (
	grpcServicePattern = regexp.MustCompile(`^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`)
	grpcMethodPattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9]*$`)
)

// GRPCService checks a gRPC service name to match exactly.
func GRPCService(s string) error {
	switch {
	case len(s) > maxPath:
		return fmt.Errorf("gRPC service is %d characters long, more than %d", len(s), maxPath)
	case !grpcServicePattern.MatchString(s):
		return fmt.Errorf("gRPC service %s is not dot-separated identifiers", Printable(s))
	}
	return nil
}

// GRPCMethod checks a gRPC method name to match exactly.
func GRPCMethod(m string) error {
	switch {
	case len(m) > maxPath:
		return fmt.Errorf("gRPC method is %d characters long, more than %d", len(m), maxPath)
	case !grpcMethodPattern.MatchString(m):
		return fmt.Errorf("gRPC method %s is not an identifier", Printable(m))
	}
	return nil
}

// MaxPrefixSegments is how many segments a PathPrefix match may have. The router looks a request
// path's prefixes up one segment at a time, down from as many segments as the socket's deepest
// prefix has: one route's deep prefix costs every request on the socket that many lookups.
const MaxPrefixSegments = 32

// PrefixSegments checks the depth of a PathPrefix match.
func PrefixSegments(prefix string) error {
	if n := strings.Count(strings.TrimSuffix(prefix, "/"), "/"); n > MaxPrefixSegments {
		return fmt.Errorf("path prefix has %d segments, more than %d", n, MaxPrefixSegments)
	}
	return nil
}

// Port checks a port number.
func Port(p int32) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("port %d is not between 1 and 65535", p)
	}
	return nil
}

// MaxWeight is the largest server weight HAProxy takes.
const MaxWeight = 256

// Weight checks a server weight.
func Weight(w int32) error {
	if w < 0 || w > MaxWeight {
		return fmt.Errorf("weight %d is not between 0 and %d", w, MaxWeight)
	}
	return nil
}

// Printable shortens a value for a message and shows control characters as escapes, so that an
// error never carries a newline or a page of input.
func Printable(s string) string {
	const keep = 64
	if len(s) > keep {
		s = s[:keep] + "..."
	}
	return fmt.Sprintf("%q", s)
}
