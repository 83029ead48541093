package main

import (
	"maps"
	"testing"
)

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{"app=haproxy", map[string]string{"app": "haproxy"}, true},
		{"a=1, b=2,", map[string]string{"a": "1", "b": "2"}, true},
		{"", nil, false},
		{"app", nil, false},
		{"=x", nil, false},
	} {
		got, err := parseSelector(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !maps.Equal(got, tc.want)) {
			t.Errorf("parseSelector(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last int32
		ok          bool
	}{
		{"10000-19999", 10000, 19999, true},
		{"443-443", 443, 443, true},
		{"20000-10000", 0, 0, false},
		{"0-10", 0, 0, false},
		{"1-70000", 0, 0, false},
		{"8080", 0, 0, false},
	} {
		first, last, err := parsePortRange(tc.in)
		if (err == nil) != tc.ok || first != tc.first || last != tc.last {
			t.Errorf("parsePortRange(%q) = %d, %d, %v", tc.in, first, last, err)
		}
	}
}
