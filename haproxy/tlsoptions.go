package haproxy

import (
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// crtListOptions are a listener's TLS options as the SSL settings of a crt-list line (the part in
// brackets), in a fixed order; "" when it sets none. The values were checked by package syntax:
// none holds a space or a bracket. A client CA bundle is a file in dir named by its fingerprint.
func crtListOptions(o model.TLSOptions, dir string) string {
	var parts []string
	add := func(keyword, value string) {
		if value != "" {
			parts = append(parts, keyword+" "+value)
		}
	}
	add("ssl-min-ver", o.MinVersion)
	add("ssl-max-ver", o.MaxVersion)
	add("ciphers", o.Ciphers)
	add("ciphersuites", o.CipherSuites)
	add("alpn", o.ALPN)
	if o.ClientVerify != "" {
		add("verify", o.ClientVerify)
		add("ca-file", caFilePath(dir, o.ClientCAFingerprint))
	}
	return strings.Join(parts, " ")
}

// verifyOptions are the terminating binds' options after "ssl crt-list ...": with optional client
// certificates, certificates that fail verification are taken too, which HAProxy sets per bind
// (ca-ignore-err, crt-ignore-err) while verify is per crt-list line. A bind is one port's, and the
// listeners of a port share its validation, so no required line shares such a bind.
func verifyOptions(s model.Socket) string {
	for _, certs := range [][]model.Certificate{s.Certificates, s.HTTPSCertificates} {
		for _, c := range certs {
			if c.Options.ClientVerify == model.ClientVerifyOptional {
				return " ca-ignore-err all crt-ignore-err all"
			}
		}
	}
	return ""
}

// clientValidation describes how a socket's terminating listeners verify client certificates:
// each distinct mode and CA bundle, sorted; "" when none does. HAProxy 2.6 resumes a TLS session
// made before a crt-list line changed without verifying again (a session from before a
// certificate was required resumes without one), so a change of this goes through a reload, whose
// new workers know no earlier session.
func clientValidation(s model.Socket) string {
	var parts []string
	for _, certs := range [][]model.Certificate{s.Certificates, s.HTTPSCertificates} {
		for _, c := range certs {
			if o := c.Options; o.ClientVerify != "" {
				parts = append(parts, "verify "+o.ClientVerify+" with "+caFileName(o.ClientCAFingerprint))
			}
		}
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ", ")
}
