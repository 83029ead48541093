package haproxy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

func TestCheckMessage(t *testing.T) {
	for _, tc := range []struct {
		name, output, want string
	}{
		{
			name: "alerts kept, notices and summaries dropped, staging folder removed",
			output: `[NOTICE]   (9225) : haproxy version is 2.6.12-1+deb12u4
[NOTICE]   (9225) : path to executable is /usr/sbin/haproxy
[ALERT]    (9225) : config : parsing [/var/lib/hg/.check-1/haproxy.cfg:10] : error detected while parsing switching rule : '-1' is not a valid ACL option.
[WARNING]  (9225) : config : missing timeouts for frontend 'x'.
[ALERT]    (9225) : config : parsing [/var/lib/hg/.check-1/haproxy.cfg:13] : 'crt-list' : error processing line 1 in file '/var/lib/hg/.check-1/crt-lists/a.crtlist' : unable to load SSL certificate into SSL Context '/var/lib/hg/.check-1/certs/a.pem'.
[ALERT]    (9225) : config : Error(s) found in configuration file : /var/lib/hg/.check-1/haproxy.cfg
[ALERT]    (9225) : config : Fatal errors found in configuration.
`,
			want: "parsing [haproxy.cfg:10] : error detected while parsing switching rule : '-1' is not a valid ACL option.; " +
				"parsing [haproxy.cfg:13] : 'crt-list' : error processing line 1 in file 'crt-lists/a.crtlist' : unable to load SSL certificate into SSL Context 'certs/a.pem'.",
		},
		{name: "nothing alarming", output: "[NOTICE] (1) : haproxy version is 2.6.12\n", want: ""},
		{name: "PEM never passes", output: "[ALERT] (1) : config : -----BEGIN PRIVATE KEY-----\n", want: "(HAProxy's message held PEM data and is not shown)"},
		{name: "long lines are cut", output: "[ALERT] (1) : config : " + strings.Repeat("x", 500) + "\n", want: strings.Repeat("x", maxCheckLine-3) + "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkMessage(tc.output, "/var/lib/hg/.check-1"); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	var many strings.Builder
	for range 20 {
		many.WriteString("[ALERT] (1) : config : " + strings.Repeat("y", 200) + "\n")
	}
	if got := checkMessage(many.String(), ""); len(got) > maxCheckMessage {
		t.Errorf("message of %d bytes, want at most %d", len(got), maxCheckMessage)
	}
}

// TestCheckConfigSaysWhatHAProxySaid runs the real "haproxy -c" on a configuration with a header
// match HAProxy reads as an option and an RSA-1024 certificate OpenSSL refuses: the error names
// both problems, with paths relative to the configuration, and never the certificate's content.
func TestCheckConfigSaysWhatHAProxySaid(t *testing.T) {
	weak, err := testtls.NewRSA1024("weak.example.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert := filepath.Join(dir, "certs", "weak.pem")
	list := filepath.Join(dir, "weak.crtlist")
	for path, content := range map[string][]byte{
		cert: joinPEM(weak.CertPEM, weak.KeyPEM), list: []byte(cert + " weak.example.com\n"),
		filepath.Join(dir, "haproxy.cfg"): []byte(`defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend f
    bind 127.0.0.1:1
    use_backend b if { req.fhdr(x) -m str -1 }
frontend t
    mode tcp
    bind 127.0.0.1:1 ssl crt-list ` + list + ` strict-sni
backend b
    server s 127.0.0.1:80
`)} {
		if err := writeAtomic(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err = CheckConfig(context.Background(), haproxybin.Path(t), filepath.Join(dir, "haproxy.cfg"))
	var refused *CheckError
	if !errors.As(err, &refused) {
		t.Fatalf("got %v, want a *CheckError", err)
	}
	t.Logf("HAProxy said: %s", refused.Message)
	for _, want := range []string{"[haproxy.cfg:8]", "'-1' is not a valid ACL option", "'weak.crtlist'", "'certs/weak.pem'"} {
		if !strings.Contains(refused.Message, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if strings.Contains(refused.Message, dir) || strings.Contains(refused.Message, "BEGIN") {
		t.Errorf("message holds the folder or PEM: %s", refused.Message)
	}
}
