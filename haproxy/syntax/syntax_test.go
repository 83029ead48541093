package syntax

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestHostname(t *testing.T) {
	for h, ok := range map[string]bool{
		"foo.example.com": true, "*.example.com": true, "a": true, "xn--bcher-kva.example": true,
		strings.Repeat("a.", 126) + "a":    true, // 253 characters
		strings.Repeat("a.", 127) + "a":    false,
		"":                                 false,
		"Foo.example.com":                  false, // callers lower-case first
		"foo.example.com\nbar.example.com": false,
		"foo.example.com;show info":        false,
		"foo example.com":                  false,
		"../../etc":                        false,
		"*":                                false,
		"*.*.example.com":                  false,
		"foo.*.example.com":                false,
		"-foo.example.com":                 false,
		"10.0.0.1":                         false,
	} {
		if err := Hostname(h); (err == nil) != ok {
			t.Errorf("Hostname(%q) = %v, want ok=%v", h, err, ok)
		}
	}
}

func TestHeaderNameValueMethodPath(t *testing.T) {
	for name, ok := range map[string]bool{"X-Env": true, "x#y": true, "a'b": true, "a|~^`$%&!*+.b": true,
		"": false, "a b": false, "a:b": false, "a\nb": false, "a(b)": false, "a,b": false, strings.Repeat("a", 257): false} {
		if err := HeaderName(name); (err == nil) != ok {
			t.Errorf("HeaderName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	for value, ok := range map[string]bool{"": true, "-1": true, "--": true, "-i": true, "}{": true, "a\tb": true, `'"#$\`: true, "é": true,
		"a\nb": false, "a\rb": false, "a\x00b": false, "a\x7fb": false, "\xff": false, strings.Repeat("a", 4097): false} {
		if err := HeaderValue(value); (err == nil) != ok {
			t.Errorf("HeaderValue(%q) = %v, want ok=%v", value, err, ok)
		}
	}
	for method, ok := range map[string]bool{"GET": true, "PATCH": true, "get": false, "GET\nprogram x": false, "": false} {
		if err := Method(method); (err == nil) != ok {
			t.Errorf("Method(%q) = %v, want ok=%v", method, err, ok)
		}
	}
	for path, ok := range map[string]bool{"/": true, "/a/b%20c": true, "/a;b=c,d@e:f'g(h)": true,
		"": false, "a": false, "/a b": false, "/a\nb": false, "/a#b": false, "/a{b}": false, "/%zz": false} {
		if err := Path(path); (err == nil) != ok {
			t.Errorf("Path(%q) = %v, want ok=%v", path, err, ok)
		}
	}
}

func TestGRPCNames(t *testing.T) {
	for service, ok := range map[string]bool{"Echo": true, "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho": true, ".pkg.Svc": true, "_a.B_9": true,
		"": false, "a/b": false, "a..b": false, "a.": false, "9a": false, "a b": false, "a-b": false, "a\nb": false, strings.Repeat("a", 1025): false} {
		if err := GRPCService(service); (err == nil) != ok {
			t.Errorf("GRPCService(%q) = %v, want ok=%v", service, err, ok)
		}
	}
	for method, ok := range map[string]bool{"Echo": true, "_x9": true, "": false, "a.b": false, "a/b": false, "9a": false, strings.Repeat("a", 1025): false} {
		if err := GRPCMethod(method); (err == nil) != ok {
			t.Errorf("GRPCMethod(%q) = %v, want ok=%v", method, err, ok)
		}
	}
}

func TestObjectNames(t *testing.T) {
	long := strings.Repeat("a", 253)
	for name, ok := range map[string]bool{"gw": true, "a.b-c": true, long: true, long + "a": false, "../../x": false, "a/b": false, "A": false, "a_b": false, "": false} {
		if err := ObjectName(name); (err == nil) != ok {
			t.Errorf("ObjectName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	if Namespace("a.b") == nil || Namespace("default") != nil || ServiceName("1svc") == nil || ServiceName("svc") != nil {
		t.Error("namespaces are DNS-1123 labels, Services DNS-1035 labels")
	}
}

func TestRuleSize(t *testing.T) {
	if RuleSize([]string{strings.Repeat("a", MaxRuleSize-1)}) != nil || RuleSize([]string{strings.Repeat("a", MaxRuleSize)}) == nil {
		t.Errorf("RuleSize takes strings of up to %d bytes with their separators, no more", MaxRuleSize)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"plain": "plain", "a b": "'a b'", "it's": `'it'\''s'`, "#x": "'#x'", "$HOME": "'$HOME'", "": "''"} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable("a\nb"); got != `"a\nb"` {
		t.Errorf("Printable = %s", got)
	}
	if got := Printable(strings.Repeat("x", 100)); len(got) > 80 {
		t.Errorf("Printable does not shorten: %d characters", len(got))
	}
}

// TestChecksAgreeWithTheirReferences holds the hand-written checks to what they implement: the
// patterns of isDNSName and isIPv4, and apimachinery's validation of Kubernetes names. It tries
// every string of up to five characters from an alphabet of each kind of character that matters,
// random longer ones, and the length limits.
func TestChecksAgreeWithTheirReferences(t *testing.T) {
	const label = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	dnsName := regexp.MustCompile(`^(\*\.)?` + label + `(\.` + label + `)*$`)
	ipv4 := regexp.MustCompile(`^[0-9]+(\.[0-9]+){3}$`)
	check := func(s string) {
		for _, c := range []struct {
			what      string
			fast, ref bool
		}{
			{"isDNSName", isDNSName(s), dnsName.MatchString(s)},
			{"isDNSSubdomain", isDNSSubdomain(s), len(validation.IsDNS1123Subdomain(s)) == 0},
			{"isDNSLabel", isDNSLabel(s), len(validation.IsDNS1123Label(s)) == 0},
			{"isDNS1035Label", isDNS1035Label(s), len(validation.IsDNS1035Label(s)) == 0},
			{"isIPv4", isIPv4(s), ipv4.MatchString(s)},
		} {
			if c.fast != c.ref {
				t.Fatalf("%s(%q) = %v, the reference says %v", c.what, s, c.fast, c.ref)
			}
		}
	}
	alphabet := []byte("a0-.*A_ ")
	var all func(prefix []byte, n int)
	all = func(prefix []byte, n int) {
		check(string(prefix))
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			all(append(prefix, c), n-1)
		}
	}
	all(nil, 5)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, 6+rng.IntN(20))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
	}
	for _, n := range []int{62, 63, 64, 252, 253, 254} {
		check(strings.Repeat("a", n))
		check(strings.Repeat("a.", n/2) + "a")
	}
	for _, s := range []string{"10.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "0.0.0.0"} {
		check(s)
	}
}

func TestPrefixSegments(t *testing.T) {
	deepest := strings.Repeat("/a", MaxPrefixSegments)
	if PrefixSegments(deepest) != nil || PrefixSegments(deepest+"/") != nil || PrefixSegments(deepest+"/a") == nil {
		t.Errorf("PrefixSegments takes prefixes of up to %d segments, no more", MaxPrefixSegments)
	}
}
