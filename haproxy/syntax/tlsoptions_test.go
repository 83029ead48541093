package syntax

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTLSNamesKnownToOpenSSL asks this machine's OpenSSL, which HAProxy links, for every cipher
// and TLS 1.3 suite the checks let through: each must select exactly itself.
func TestTLSNamesKnownToOpenSSL(t *testing.T) {
	for _, c := range []struct {
		flag  string
		names []string
	}{{"-cipher", tls12Ciphers}, {"-ciphersuites", tls13Suites}} {
		for _, name := range c.names {
			args := []string{"ciphers", "-s", "-tls1_2", name}
			if c.flag == "-ciphersuites" {
				args = []string{"ciphers", "-s", "-tls1_3", "-ciphersuites", name, "eNULL"}
			}
			out, err := exec.Command("openssl", args...).CombinedOutput()
			if err != nil || !strings.Contains(":"+strings.TrimSpace(string(out))+":", ":"+name+":") {
				t.Errorf("openssl %s: %q, %v", strings.Join(args, " "), out, err)
			}
		}
	}
}

func TestTLSOptionValues(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"TLSv1.3", TLSVersion("TLSv1.3"), true},
		{"TLSv1.1", TLSVersion("TLSv1.1"), false},
		{"1.3", TLSVersion("1.3"), false},
		{"two ciphers", Ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"), true},
		{"anonymous cipher", Ciphers("ADH-AES128-SHA"), false},
		{"cipher rule", Ciphers("HIGH:!aNULL"), false},
		{"cipher with a space", Ciphers("ECDHE-ECDSA-AES128-GCM-SHA256 ssl-min-ver"), false},
		{"empty cipher", Ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:"), false},
		{"suite", CipherSuites("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"), true},
		{"TLS 1.2 name as a suite", CipherSuites("ECDHE-ECDSA-AES128-GCM-SHA256"), false},
		{"alpn", ALPN("h2,http/1.1"), true},
		{"alpn with a bracket", ALPN("h2]"), false},
		{"alpn with an empty name", ALPN("h2,,http/1.1"), false},
		{"alpn upper case", ALPN("H2"), false},
	} {
		if (c.err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%t", c.name, c.err, c.ok)
		}
	}
}
