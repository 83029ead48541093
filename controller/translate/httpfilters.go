package translate

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// httpFilters turns a rule's filters into the data plane's, or says which one is not served.
// The CRDs already refuse two filters of one type (but RequestHeaderModifier and
// ResponseHeaderModifier once each), and a redirect together with a rewrite.
func httpFilters(filters []gatewayv1.HTTPRouteFilter) (*model.HTTPFilters, string) {
	if len(filters) == 0 {
		return nil, ""
	}
	out := &model.HTTPFilters{}
	for _, f := range filters {
		var why string
		switch f.Type {
		case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
			out.RequestHeaders, why = headerModifier(f.RequestHeaderModifier)
		case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
			out.ResponseHeaders, why = headerModifier(f.ResponseHeaderModifier)
		case gatewayv1.HTTPRouteFilterRequestRedirect:
			out.Redirect, why = redirect(f.RequestRedirect)
		case gatewayv1.HTTPRouteFilterURLRewrite:
			out.Rewrite, why = rewrite(f.URLRewrite)
		default:
			why = fmt.Sprintf("filter %s is not supported", f.Type)
		}
		if why != "" {
			return nil, why
		}
	}
	return out, ""
}

func headerModifier(f *gatewayv1.HTTPHeaderFilter) (*model.HeaderModifier, string) {
	if f == nil {
		return nil, "a header modifier filter without its settings"
	}
	out := &model.HeaderModifier{}
	values := func(in []gatewayv1.HTTPHeader) ([]model.HeaderValue, string) {
		var hv []model.HeaderValue
		for _, h := range in {
			if err := syntax.HeaderName(string(h.Name)); err != nil {
				return nil, "header filter: " + err.Error()
			}
			if err := syntax.HeaderValue(h.Value); err != nil {
				return nil, fmt.Sprintf("header filter %s: %v", syntax.Printable(string(h.Name)), err)
			}
			hv = append(hv, model.HeaderValue{Name: strings.ToLower(string(h.Name)), Value: h.Value})
		}
		return hv, ""
	}
	var why string
	if out.Set, why = values(f.Set); why != "" {
		return nil, why
	}
	if out.Add, why = values(f.Add); why != "" {
		return nil, why
	}
	for _, name := range f.Remove {
		if err := syntax.HeaderName(name); err != nil {
			return nil, "header filter: " + err.Error()
		}
		out.Remove = append(out.Remove, strings.ToLower(name))
	}
	return out, ""
}

func redirect(f *gatewayv1.HTTPRequestRedirectFilter) (*model.Redirect, string) {
	if f == nil {
		return nil, "a RequestRedirect filter without its settings"
	}
	out := &model.Redirect{StatusCode: 302}
	if f.StatusCode != nil {
		switch *f.StatusCode {
		case 301, 302, 303, 307, 308:
			out.StatusCode = *f.StatusCode
		default:
			return nil, fmt.Sprintf("redirect status code %d is not supported", *f.StatusCode)
		}
	}
	if f.Scheme != nil {
		if *f.Scheme != "http" && *f.Scheme != "https" {
			return nil, fmt.Sprintf("redirect scheme %s is not supported", syntax.Printable(*f.Scheme))
		}
		out.Scheme = *f.Scheme
	}
	if f.Hostname != nil {
		if err := syntax.Hostname(string(*f.Hostname)); err != nil {
			return nil, "redirect hostname: " + err.Error()
		}
		out.Hostname = strings.ToLower(string(*f.Hostname))
	}
	if f.Port != nil {
		if err := syntax.Port(int32(*f.Port)); err != nil {
			return nil, "redirect port: " + err.Error()
		}
		out.Port = int32(*f.Port)
	}
	var why string
	out.Path, why = pathModifier(f.Path)
	return out, why
}

func rewrite(f *gatewayv1.HTTPURLRewriteFilter) (*model.Rewrite, string) {
	if f == nil {
		return nil, "a URLRewrite filter without its settings"
	}
	out := &model.Rewrite{}
	if f.Hostname != nil {
		if err := syntax.Hostname(string(*f.Hostname)); err != nil {
			return nil, "rewrite hostname: " + err.Error()
		}
		out.Hostname = strings.ToLower(string(*f.Hostname))
	}
	var why string
	out.Path, why = pathModifier(f.Path)
	return out, why
}

func pathModifier(p *gatewayv1.HTTPPathModifier) (*model.PathModifier, string) {
	if p == nil {
		return nil, ""
	}
	var out model.PathModifier
	switch {
	case p.Type == gatewayv1.FullPathHTTPPathModifier && p.ReplaceFullPath != nil:
		out = model.PathModifier{Type: model.ReplaceFullPath, Value: *p.ReplaceFullPath}
	case p.Type == gatewayv1.PrefixMatchHTTPPathModifier && p.ReplacePrefixMatch != nil:
		out = model.PathModifier{Type: model.ReplacePrefixMatch, Value: *p.ReplacePrefixMatch}
	default:
		return nil, fmt.Sprintf("path modifier %s is not supported", syntax.Printable(string(p.Type)))
	}
	if err := syntax.Path(out.Value); err != nil {
		return nil, "path modifier: " + err.Error()
	}
	return &out, ""
}
