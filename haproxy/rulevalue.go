package haproxy

import (
	"strconv"
	"strings"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// encodeRule is the value of one rule in a socket's rules map, which the Lua router
// (templates/router.lua.tmpl) reads: "key=value" pairs joined by "&". backend is the route
// backend's name, "" for a rule that redirects.
//
// Every value is percent-encoded, and a "name:value" pair part by part around a literal ":", so the
// whole never holds a space, ";", "#", a quote, a backslash or a control byte: it goes into map files
// and runtime API commands as one word. The order is fixed: the conditions (b, m, h, q) come first,
// so that the router stops reading a rule at the first key that is not one; then the server
// timeout, the redirect, the rewrite, and the request and response header changes, each in the
// model's order.
//
//	b    backend name               m    method
//	h    header name:value          q    query parameter name:value
//	ts   server timeout in milliseconds (see serverTimeout), only with a backend
//	rd   redirect status code       rds  scheme      rdh  hostname   rdp  port
//	rdf  redirect full path         rdx  redirect replacement of the matched prefix
//	uh   rewrite host               uf   rewrite full path            ux   rewrite prefix
//	rqs, rqa  request header set, add (name:value)      rqr  request header remove (name)
//	rss, rsa  response header set, add (name:value)     rsr  response header remove (name)
//
// rdx and ux may be present and empty: the matched prefix is removed.
func encodeRule(r model.HTTPRule, backend string) string {
	var b strings.Builder
	put := func(key, encoded string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(encoded)
	}
	one := func(key, value string) { put(key, percentEncode(value)) }
	two := func(key, name, value string) { put(key, percentEncode(name)+":"+percentEncode(value)) }

	if backend != "" {
		one("b", backend)
	}
	if r.Method != "" {
		one("m", r.Method)
	}
	for _, h := range r.Headers {
		two("h", strings.ToLower(h.Name), h.Value)
	}
	for _, q := range r.QueryParams {
		two("q", q.Name, q.Value)
	}
	if t, ok := serverTimeout(r.Timeouts); ok && backend != "" {
		put("ts", strconv.FormatInt(t.Milliseconds(), 10))
	}
	f := r.Filters
	if f == nil {
		return b.String()
	}
	if rd := f.Redirect; rd != nil {
		put("rd", strconv.Itoa(rd.StatusCode))
		if rd.Scheme != "" {
			one("rds", rd.Scheme)
		}
		if rd.Hostname != "" {
			one("rdh", rd.Hostname)
		}
		if rd.Port != 0 {
			put("rdp", strconv.Itoa(int(rd.Port)))
		}
		pathModifier(one, "rdf", "rdx", rd.Path)
	}
	if rw := f.Rewrite; rw != nil {
		if rw.Hostname != "" {
			one("uh", rw.Hostname)
		}
		pathModifier(one, "uf", "ux", rw.Path)
	}
	headerModifier(one, two, "rqs", "rqa", "rqr", f.RequestHeaders)
	headerModifier(one, two, "rss", "rsa", "rsr", f.ResponseHeaders)
	return b.String()
}

// serverTimeout is how a rule's timeouts become HAProxy's: the "timeout server" of its requests,
// and whether the rule sets one (without, the idle timeout of haproxy.cfg's defaults applies).
//
// HAProxy 2.6 has no deadline for a whole exchange: the timeout it can set per request is "timeout
// server", how long the server may stay silent, from sending it the request to the response's
// first bytes and then between the response's reads. Both of Gateway API's timeouts map to it, the
// shorter when a rule gives both, since one request to the backend is all HAProxy makes of a
// request (it retries connections that fail, never requests): so a backend slower than either
// gets 504, as both ask. What it does not count: the time to receive the request headers, before
// the router runs (timeout http-request, 10s), the time to connect to the server (timeout
// connect, 5s), and a response that has begun and keeps coming, which is not cut off however long
// it takes. "0s", which Gateway API says disables a timeout, is MaxTimeout: HAProxy takes no
// longer one, and its documentation asks for a non-zero value.
func serverTimeout(t *model.HTTPTimeouts) (time.Duration, bool) {
	if t == nil {
		return 0, false
	}
	out, ok := time.Duration(0), false
	for _, d := range []*metav1.Duration{t.Request, t.BackendRequest} {
		if d == nil {
			continue
		}
		v := d.Duration
		if v == 0 || v > syntax.MaxTimeout {
			v = syntax.MaxTimeout
		}
		if !ok || v < out {
			out, ok = v, true
		}
	}
	return out, ok
}

func pathModifier(one func(key, value string), full, prefix string, p *model.PathModifier) {
	switch {
	case p == nil:
	case p.Type == model.ReplaceFullPath:
		one(full, p.Value)
	case p.Type == model.ReplacePrefixMatch:
		one(prefix, p.Value)
	}
}

func headerModifier(one func(key, value string), two func(key, name, value string), set, add, remove string, m *model.HeaderModifier) {
	if m == nil {
		return
	}
	for _, h := range m.Set {
		two(set, h.Name, h.Value)
	}
	for _, h := range m.Add {
		two(add, h.Name, h.Value)
	}
	for _, name := range m.Remove {
		one(remove, name)
	}
}

// percentEncode writes every byte outside A-Z, a-z, 0-9 and "-._~" as "%XX" (upper-case hex).
func percentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			out = append(out, c)
		} else {
			out = append(out, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(out)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
