package translate

import (
	"slices"
	"testing"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestIntersectHostnames(t *testing.T) {
	tests := []struct {
		name     string
		listener string
		route    []string
		want     []string
	}{
		{"neither sets hostnames: any name", "", nil, []string{"*"}},
		{"route only", "", []string{"b.example.com", "a.example.com"}, []string{"a.example.com", "b.example.com"}},
		{"listener only", "foo.example.com", nil, []string{"foo.example.com"}},
		{"equal exact names", "foo.example.com", []string{"foo.example.com"}, []string{"foo.example.com"}},
		{"different exact names", "foo.example.com", []string{"bar.example.com"}, nil},
		{"listener wildcard covers route name", "*.example.com", []string{"foo.example.com"}, []string{"foo.example.com"}},
		{"wildcard matches several labels", "*.com", []string{"other.example.com"}, []string{"other.example.com"}},
		{"wildcard does not match its own suffix", "*.example.com", []string{"example.com"}, nil},
		{"route wildcard covers listener name", "foo.example.com", []string{"*.example.com"}, []string{"foo.example.com"}},
		{"narrower wildcard wins", "*.com", []string{"*.example.com"}, []string{"*.example.com"}},
		{"narrower wildcard wins either way", "*.example.com", []string{"*.com"}, []string{"*.example.com"}},
		{"names outside the listener are ignored", "*.example.com", []string{"test.example.com", "test.example.net"}, []string{"test.example.com"}},
		{"case does not matter", "*.Example.com", []string{"FOO.example.COM"}, []string{"foo.example.com"}},
		{"unrelated wildcards", "*.example.com", []string{"*.example.net"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var listener *gatewayv1.Hostname
			if tt.listener != "" {
				h := gatewayv1.Hostname(tt.listener)
				listener = &h
			}
			var route []gatewayv1.Hostname
			for _, h := range tt.route {
				route = append(route, gatewayv1.Hostname(h))
			}
			if got := intersectHostnames(listener, route); !slices.Equal(got, tt.want) {
				t.Errorf("intersectHostnames(%q, %v) = %v, want %v", tt.listener, tt.route, got, tt.want)
			}
		})
	}
}
