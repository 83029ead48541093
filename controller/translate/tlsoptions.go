package translate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// optionPrefix starts the keys of listeners[].tls.options this controller reads; keys of other
// domains belong to other implementations and are left alone.
const optionPrefix = "haproxy-gateway.io/"

// tlsOptionKeys are the keys served, each with the check of its value and where it goes.
var tlsOptionKeys = map[string]struct {
	check func(string) error
	set   func(*model.TLSOptions, string)
}{
	optionPrefix + "min-tls-version": {syntax.TLSVersion, func(o *model.TLSOptions, v string) { o.MinVersion = v }},
	optionPrefix + "max-tls-version": {syntax.TLSVersion, func(o *model.TLSOptions, v string) { o.MaxVersion = v }},
	optionPrefix + "ciphers":         {syntax.Ciphers, func(o *model.TLSOptions, v string) { o.Ciphers = v }},
	optionPrefix + "ciphersuites":    {syntax.CipherSuites, func(o *model.TLSOptions, v string) { o.CipherSuites = v }},
	optionPrefix + "alpn":            {syntax.ALPN, func(o *model.TLSOptions, v string) { o.ALPN = v }},
}

// listenerTLSOptions reads a listener's TLS options; a problem says which key is wrong and why.
// Only terminating listeners take them: a Passthrough listener never sees the TLS it passes on.
func listenerTLSOptions(l *gatewayv1.Listener, mode gatewayv1.TLSModeType) (model.TLSOptions, string) {
	var out model.TLSOptions
	if l.TLS == nil {
		return out, ""
	}
	var keys []string
	for k := range l.TLS.Options {
		if strings.HasPrefix(string(k), optionPrefix) {
			keys = append(keys, string(k))
		}
	}
	slices.Sort(keys)
	if len(keys) > 0 && mode != gatewayv1.TLSModeTerminate {
		return out, fmt.Sprintf("tls.options %s: only Terminate listeners take TLS options", keys[0])
	}
	for _, k := range keys {
		key, ok := tlsOptionKeys[k]
		if !ok {
			return out, fmt.Sprintf("tls.options %s is not a known option; known: %s", k, strings.Join(slices.Sorted(maps.Keys(tlsOptionKeys)), ", "))
		}
		v := string(l.TLS.Options[gatewayv1.AnnotationKey(k)])
		if err := key.check(v); err != nil {
			return out, fmt.Sprintf("tls.options %s: %v", k, err)
		}
		key.set(&out, v)
	}
	if out.MinVersion != "" && out.MaxVersion != "" &&
		slices.Index(syntax.TLSVersions, out.MinVersion) > slices.Index(syntax.TLSVersions, out.MaxVersion) {
		return out, fmt.Sprintf("tls.options: min-tls-version %s is above max-tls-version %s", out.MinVersion, out.MaxVersion)
	}
	return out, ""
}
