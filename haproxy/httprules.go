package haproxy

import (
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
)

// ruleData is one use_backend line of an HTTP frontend.
type ruleData struct {
	Backend, Condition string
}

// httpRules turns the virtual hosts of a socket into use_backend lines, host by host, each host's
// rules in the model's precedence order. A request's host was already resolved to its virtual host
// through the host maps (txn.vhost), so each line first compares one variable: cheap to skip.
// A PathPrefix rule becomes two lines, the path itself and everything under it, so that "/foo"
// matches "/foo" and "/foo/bar" but not "/foobar".
func httpRules(hosts []model.VirtualHost) []ruleData {
	var out []ruleData
	for _, vh := range hosts {
		for _, r := range vh.Rules {
			common := []string{"{ var(txn.vhost) -m str " + syntax.Quote(vh.Hostname) + " }"}
			if r.Method != "" {
				common = append(common, "{ method "+syntax.Quote(r.Method)+" }")
			}
			for _, h := range r.Headers {
				// req.fhdr takes each occurrence whole: a value with commas is one value. Values are
				// compared in hex, so no character of theirs means anything to haproxy.cfg.
				common = append(common, "{ "+syntax.HeaderEquals(h.Name, h.Value)+" }")
			}
			backend := backendName(r.Backend)
			var paths []string
			switch {
			case r.PathType == model.PathExact:
				paths = []string{"{ path " + syntax.Quote(r.Path) + " }"}
			case r.Path == "/":
				paths = []string{""}
			default:
				paths = []string{"{ path " + syntax.Quote(r.Path) + " }", "{ path_beg " + syntax.Quote(r.Path+"/") + " }"}
			}
			for _, p := range paths {
				cond := strings.Join(common, " ")
				if p != "" {
					cond += " " + p
				}
				out = append(out, ruleData{Backend: backend, Condition: cond})
			}
		}
	}
	return out
}
