package haproxy

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStatsAuthValidate(t *testing.T) {
	for _, tc := range []struct {
		username, password string
		ok                 bool
	}{
		{"prometheus", "s3cret", true},
		{"admin", `every'printable"ASCII$but#space\!{}`, true},
		{"", "s3cret", false},
		{"prometheus", "", false},
		{"prometheus", "two words", false},
		{"prometheus", "tab\there", false},
		{"prometheus", "line\nbreak", false},
		{"prometheus", "nul\x00", false},
		{"prometheus", "del\x7f", false},
		{"prometheus", "naïve", false},
		{"pro metheus", "s3cret", false},
		{"user:name", "s3cret", false},
		{"prometheus", "pass:word", true},
		{strings.Repeat("u", maxCredentialLength+1), "s3cret", false},
		{"prometheus", strings.Repeat("p", maxCredentialLength), true},
	} {
		err := StatsAuth{Username: tc.username, Password: tc.password}.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q, %q) = %v, want ok %v", tc.username, tc.password, err, tc.ok)
		}
		if err != nil && tc.password != "" && strings.Contains(err.Error(), tc.password) {
			t.Errorf("the error %q quotes the password", err)
		}
	}
	if s := (StatsAuth{Username: "u", Password: "p4ss"}); strings.Contains(s.String()+s.GoString(), "p4ss") {
		t.Error("StatsAuth prints its password")
	}
}

func TestListenAddress(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"127.0.0.1:8404", "127.0.0.1:8404", true},
		{":8404", ":8404", true},
		{"[::1]:8404", "[::1]:8404", true},
		// What "$(POD_IP):8404" becomes with an IPv6 pod IP.
		{"fd00:10:244::7:8404", "[fd00:10:244::7]:8404", true},
		{"::1:8405", "[::1]:8405", true},
		{"10.244.0.5:0", "", false},
		{"10.244.0.5:65536", "", false},
		{"10.244.0.5", "", false},
		{":", "", false},
		{"", "", false},
		{"localhost:8404", "", false},
		{"127.0.0.1:8404 ssl", "", false},
		{"127.0.0.1:8404#", "", false},
		{"[fe80::1%eth0]:8404", "", false},
		{"fd00::1", "", false},
	} {
		got, _, err := ListenAddress(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ListenAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestStatsPageAsksForCredentials runs HAProxy with a stats user whose password needs quoting:
// the stats page and /metrics answer 401 without the credentials or with wrong ones and 200 with
// them, /healthz answers without; haproxy.cfg holding the password is mode 0600, also after a
// reload. Without a stats user, everything answers and haproxy.cfg is 0644.
func TestStatsPageAsksForCredentials(t *testing.T) {
	auth := &StatsAuth{Username: "prometheus", Password: `s3cr'et"$HOME#\x`}
	r := newRig(t, func(s *Settings) { s.StatsAuth = auth })
	base := "http://" + r.manager.settings.StatsAddress
	check := func(phase string) {
		t.Helper()
		for _, c := range []struct {
			path, user, password string
			want                 int
		}{
			{"/", "", "", http.StatusUnauthorized},
			{"/metrics", "", "", http.StatusUnauthorized},
			{"/", auth.Username, "wrong", http.StatusUnauthorized},
			{"/metrics", "other", auth.Password, http.StatusUnauthorized},
			{"/", auth.Username, auth.Password, http.StatusOK},
			{"/;csv", auth.Username, auth.Password, http.StatusOK},
			{"/metrics", auth.Username, auth.Password, http.StatusOK},
			{"/healthz", "", "", http.StatusOK},
		} {
			status, header, body := statsGet(t, base+c.path, c.user, c.password)
			if status != c.want {
				t.Errorf("%s: GET %s as %q: %d, want %d", phase, c.path, c.user, status, c.want)
			}
			if status == http.StatusUnauthorized && header.Get("WWW-Authenticate") != `Basic realm="haproxy-gateway"` {
				t.Errorf("%s: GET %s: WWW-Authenticate %q", phase, c.path, header.Get("WWW-Authenticate"))
			}
			if c.path == "/metrics" && status == http.StatusOK && !strings.Contains(body, "haproxy_process_") {
				t.Errorf("%s: /metrics has no HAProxy metrics", phase)
			}
		}
		checkMode(t, filepath.Join(r.manager.settings.Dir, "haproxy.cfg"), 0o600)
	}
	check("first configuration")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res := r.manager.Reload(ctx); res.Err != nil {
		t.Fatal(res.Err)
	}
	check("after a reload")

	open := newRig(t)
	for _, path := range []string{"/", "/metrics", "/healthz"} {
		if status, _, _ := statsGet(t, "http://"+open.manager.settings.StatsAddress+path, "", ""); status != http.StatusOK {
			t.Errorf("without a stats user, GET %s: %d", path, status)
		}
	}
	checkMode(t, filepath.Join(open.manager.settings.Dir, "haproxy.cfg"), 0o644)
}

func statsGet(t *testing.T, url, user, password string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != want {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), info.Mode().Perm(), want)
	}
}
