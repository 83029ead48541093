package syntax

import (
	"fmt"
	"slices"
	"strings"
)

// TLS options of a terminating listener, as HAProxy 2.6 takes them on a crt-list line
// (ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, alpn). Only values this machine's OpenSSL 3.0
// serves pass, so a line HAProxy would refuse never reaches it.

// TLSVersions are the protocol versions a listener may be held to, oldest first: HAProxy's global
// ssl-min-ver TLSv1.2 refuses older ones anyway.
var TLSVersions = []string{"TLSv1.2", "TLSv1.3"}

// TLSVersion checks a version name.
func TLSVersion(v string) error {
	if !slices.Contains(TLSVersions, v) {
		return fmt.Errorf("TLS version %q is not served; use one of %s", v, strings.Join(TLSVersions, ", "))
	}
	return nil
}

// tls12Ciphers are the TLS 1.2 cipher names (OpenSSL's) of suites a server certificate can serve:
// ECDHE or DHE with RSA or ECDSA, or RSA key exchange. Anonymous, PSK, SRP and DSS suites are left
// out: a Gateway's certificate cannot use them.
var tls12Ciphers = strings.Fields(strings.Join([]string{
	"AES128-CCM AES128-CCM8 AES128-GCM-SHA256 AES128-SHA AES128-SHA256 AES256-CCM AES256-CCM8",
	"AES256-GCM-SHA384 AES256-SHA AES256-SHA256 ARIA128-GCM-SHA256 ARIA256-GCM-SHA384",
	"CAMELLIA128-SHA CAMELLIA128-SHA256 CAMELLIA256-SHA CAMELLIA256-SHA256 DHE-RSA-AES128-CCM",
	"DHE-RSA-AES128-CCM8 DHE-RSA-AES128-GCM-SHA256 DHE-RSA-AES128-SHA DHE-RSA-AES128-SHA256",
	"DHE-RSA-AES256-CCM DHE-RSA-AES256-CCM8 DHE-RSA-AES256-GCM-SHA384 DHE-RSA-AES256-SHA",
	"DHE-RSA-AES256-SHA256 DHE-RSA-ARIA128-GCM-SHA256 DHE-RSA-ARIA256-GCM-SHA384",
	"DHE-RSA-CAMELLIA128-SHA DHE-RSA-CAMELLIA128-SHA256 DHE-RSA-CAMELLIA256-SHA",
	"DHE-RSA-CAMELLIA256-SHA256 DHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-CCM",
	"ECDHE-ECDSA-AES128-CCM8 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-SHA",
	"ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-CCM ECDHE-ECDSA-AES256-CCM8",
	"ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES256-SHA384",
	"ECDHE-ECDSA-ARIA128-GCM-SHA256 ECDHE-ECDSA-ARIA256-GCM-SHA384 ECDHE-ECDSA-CAMELLIA128-SHA256",
	"ECDHE-ECDSA-CAMELLIA256-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES128-SHA ECDHE-RSA-AES128-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-SHA",
	"ECDHE-RSA-AES256-SHA384 ECDHE-RSA-CAMELLIA128-SHA256 ECDHE-RSA-CAMELLIA256-SHA384",
	"ECDHE-RSA-CHACHA20-POLY1305"}, " "))

// tls13Suites are the TLS 1.3 suites OpenSSL 3.0 knows.
var tls13Suites = []string{"TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_GCM_SHA256",
	"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// Ciphers checks a TLS 1.2 cipher list: names from tls12Ciphers, separated by colons.
func Ciphers(list string) error { return nameList("cipher", list, tls12Ciphers) }

// CipherSuites checks a TLS 1.3 suite list: names from tls13Suites, separated by colons.
func CipherSuites(list string) error { return nameList("TLS 1.3 cipher suite", list, tls13Suites) }

func nameList(what, list string, known []string) error {
	if list == "" {
		return fmt.Errorf("empty %s list", what)
	}
	for _, name := range strings.Split(list, ":") {
		if !slices.Contains(known, name) {
			return fmt.Errorf("%s %q is not served (names are OpenSSL's, separated by ':')", what, name)
		}
	}
	return nil
}

// ALPN checks a list of ALPN protocol names separated by commas, each 1 to 255 bytes of lower
// case letters, digits and ".", "/", "-", "_" (h2, http/1.1): no byte that ends a crt-list option
// or a runtime API argument.
func ALPN(list string) error {
	if list == "" {
		return fmt.Errorf("empty ALPN list")
	}
	for _, name := range strings.Split(list, ",") {
		if len(name) == 0 || len(name) > 255 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789./-_") != "" {
			return fmt.Errorf("ALPN protocol %q: use lower case letters, digits, '.', '/', '-' and '_', separated by ','", name)
		}
	}
	return nil
}
