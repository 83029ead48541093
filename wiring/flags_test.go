package wiring

import (
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
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

func TestCheckListenFlags(t *testing.T) {
	pool := translate.Options{AddressPool: netip.MustParsePrefix("10.250.0.0/16")}
	services := func(bind string) translate.Options {
		return translate.Options{Services: &translate.ServiceOptions{FirstPort: 10000, LastPort: 19999, BindAddress: bind}}
	}
	for _, tc := range []struct {
		name                          string
		opts                          translate.Options
		stats, metrics, pprof         string
		wantStats, wantMetrics, wantP string
		ok                            bool
	}{
		{"defaults", pool, "127.0.0.1:8404", "127.0.0.1:8405", "", "127.0.0.1:8404", "127.0.0.1:8405", "", true},
		{"chart, IPv4 pod", services(""), "10.244.0.5:8404", "10.244.0.5:8405", "", "10.244.0.5:8404", "10.244.0.5:8405", "", true},
		{"chart, IPv6 pod", services(""), "fd00:10:244::5:8404", "fd00:10:244::5:8405", "[::1]:6060", "[fd00:10:244::5]:8404", "[fd00:10:244::5]:8405", "[::1]:6060", true},
		{"chart, pool mode", pool, "10.244.0.5:8404", "10.244.0.5:8405", "", "10.244.0.5:8404", "10.244.0.5:8405", "", true},
		{"metrics off", pool, "127.0.0.1:8404", "", "", "127.0.0.1:8404", "", "", true},
		{"every address, service mode, port outside the target ports", services(""), ":8404", ":8405", "", ":8404", ":8405", "", true},
		{"no stats address", pool, "", "127.0.0.1:8405", "", "", "", "", false},
		{"a host name", pool, "localhost:8404", "", "", "", "", "", false},
		{"bind options smuggled in", pool, "127.0.0.1:8404 ssl crt /etc/passwd", "", "", "", "", "", false},
		{"stats on every address in pool mode", pool, ":8404", "", "", "", "", "", false},
		{"metrics on 0.0.0.0 in pool mode", pool, "127.0.0.1:8404", "0.0.0.0:8405", "", "", "", "", false},
		{"stats on a pool address", pool, "10.250.0.1:8404", "", "", "", "", "", false},
		{"pprof on a pool address, IPv4-mapped", pool, "127.0.0.1:8404", "", "[::ffff:10.250.3.4]:6060", "", "", "", false},
		{"stats port among the target ports", services(""), "10.244.0.5:10000", "", "", "", "", "", false},
		{"metrics port among the target ports, same bind address", services("10.244.0.5"), "10.244.0.5:8404", "10.244.0.5:19999", "", "", "", "", false},
		{"target ports bound on another address", services("10.250.0.1"), "10.244.0.5:10000", "", "", "10.244.0.5:10000", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := flags{statsAddress: tc.stats, metricsAddress: tc.metrics, pprofAddress: tc.pprof}
			err := checkListenFlags(&f, tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("checkListenFlags: %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				t.Log(err)
				return
			}
			if f.statsAddress != tc.wantStats || f.metricsAddress != tc.wantMetrics || f.pprofAddress != tc.wantP {
				t.Errorf("addresses %q %q %q, want %q %q %q", f.statsAddress, f.metricsAddress, f.pprofAddress, tc.wantStats, tc.wantMetrics, tc.wantP)
			}
		})
	}
}

func TestStatsAuthFrom(t *testing.T) {
	const password = `s3cr'et"#$x`
	for _, tc := range []struct {
		name               string
		files              map[string]string
		username, password string
		ok                 bool
	}{
		{"a mounted Secret", map[string]string{"username": "prometheus", "password": password}, "prometheus", password, true},
		{"written with echo", map[string]string{"username": "prometheus\n", "password": password + "\r\n"}, "prometheus", password, true},
		{"no password file", map[string]string{"username": "prometheus"}, "", "", false},
		{"empty password", map[string]string{"username": "prometheus", "password": ""}, "", "", false},
		{"a space", map[string]string{"username": "prometheus", "password": password + " x"}, "", "", false},
		{"two lines", map[string]string{"username": "prometheus", "password": password + "\n\n"}, "", "", false},
		{"a colon in the username", map[string]string{"username": "pro:metheus", "password": password}, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			auth, err := statsAuthFrom(dir)
			if (err == nil) != tc.ok {
				t.Fatalf("statsAuthFrom: %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), password) {
					t.Errorf("the error quotes the password: %v", err)
				}
				return
			}
			if auth.Username != tc.username || auth.Password != tc.password {
				t.Errorf("read %q/%q, want %q/%q", auth.Username, auth.Password, tc.username, tc.password)
			}
		})
	}
}
