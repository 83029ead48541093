package haproxy

import (
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
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
			common := []string{"{ var(txn.vhost) -m str " + quote(vh.Hostname) + " }"}
			if r.Method != "" {
				common = append(common, "{ method "+quote(r.Method)+" }")
			}
			for _, h := range r.Headers {
				// req.fhdr takes each occurrence whole: a value with commas is one value.
				common = append(common, "{ req.fhdr("+h.Name+") -m str "+quote(h.Value)+" }")
			}
			backend := backendName(r.Backend)
			var paths []string
			switch {
			case r.PathType == model.PathExact:
				paths = []string{"{ path " + quote(r.Path) + " }"}
			case r.Path == "/":
				paths = []string{""}
			default:
				paths = []string{"{ path " + quote(r.Path) + " }", "{ path_beg " + quote(r.Path+"/") + " }"}
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

// quote makes a value one word of haproxy.cfg. Single quotes keep everything literal; a single
// quote inside ends the quoted part, is escaped, and a new quoted part begins.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\#$") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
