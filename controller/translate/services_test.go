package translate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// TestServiceNameIsADNSLabel: every Gateway name the API server takes (a DNS subdomain of up to
// 253 characters, dots included, in a namespace that may start with a digit) gives a Service name
// it takes too (a DNS-1035 label), and names cut or changed alike stay apart.
func TestServiceNameIsADNSLabel(t *testing.T) {
	long := strings.Repeat("g", 63) + "." + strings.Repeat("g", 63) + "." + strings.Repeat("g", 63) + "." + strings.Repeat("g", 61)
	seen := map[string]string{}
	for _, gw := range [][2]string{
		{"default", "gw"}, {"default", "a.b"}, {"default", "a-b"}, {"default", "a.b.c"},
		{"default", long}, {"default", long[:252] + "h"}, {"0team", "gw"}, {"default", "0.0"},
	} {
		name := ServiceName(gw[0], gw[1])
		if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
			t.Errorf("%s/%s: Service name %q: %v", gw[0], gw[1], name, errs)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%s/%s and %s have one Service name %q", gw[0], gw[1], other, name)
		}
		seen[name] = gw[0] + "/" + gw[1]
	}
}
