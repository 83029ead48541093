package haproxy

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// HTTP requests are routed through maps, so that a route change is a map edit, never a reload.
// The Lua action in router.lua (templates/router.lua.tmpl) reads them for each request:
//   - a socket's routes map lists, for a virtual host and a path, the rules to try in precedence
//     order: "<listener>@<virtual host>|E<path>" for exact paths and "...|P<path>" for path
//     prefixes. The action looks up the request's exact path, then its prefixes from the longest,
//     one map lookup a step (at most "|depth" steps, the most segments a prefix has), so the cost
//     of a request does not grow with the number of routes. Where routes name a virtual host
//     with different precision ("a.example.com" and "*.example.com" both serving a.example.com),
//     the more precise ones' rules come first whatever their paths (GEP-3567): each precision
//     is a tier ("...|1E<path>" for the second), and "...|tiers" says how many there are.
//   - a socket's rules map holds each rule's conditions (method, headers, query parameters), its
//     filters and its route backend, by rule ID ("<route backend>/<match>").
//   - the HTTP backends map gives the section of the workers that serves each route backend: its
//     own, or the spare serving a backend added since the last reload.

// depthKey is the routes map's entry for the most segments a path prefix of the socket has. No
// virtual host key starts with "|".
const depthKey = "|depth"

// ruleID names one match of a route rule in the routes and rules maps.
func ruleID(r model.HTTPRule) string {
	return backendName(r.Backend) + "/" + strconv.Itoa(r.Match)
}

// routeKey is the routes map key of a rule in a tier of a virtual host.
func routeKey(claim string, tier int, r model.HTTPRule) string {
	base := claim + "|"
	if tier > 0 {
		base += strconv.Itoa(tier)
	}
	if r.PathType == model.PathExact {
		return base + "E" + keyPath(r.Path)
	}
	return base + "P" + keyPath(r.Path)
}

// keyPathEscapes write "%", ";" and "'" of a path as %25, %3B and %27 in a routes map key: the
// runtime API takes no ";" or "'" in an argument, and the spec allows both in a path. "%" is
// written too, so that no two paths give one key. The router writes a request's path the same way
// before it looks it up (templates/router.lua.tmpl).
var keyPathEscapes = strings.NewReplacer("%", "%25", ";", "%3B", "'", "%27")

// keyPath is path as a routes map key holds it.
func keyPath(path string) string { return keyPathEscapes.Replace(path) }

// maxRuleList is how long one routes map value may be: a map line and a runtime API command are
// read into buffers of tune.bufsize (16 KiB), with the key and the command's words beside it.
const maxRuleList = 8 << 10

// setRuleList sets the list of rule IDs under key: in one entry, or, when longer than maxRuleList,
// in parts under the same key with ">1", ">2", ... before its "E" or "P" (see partKey), each part
// but the last ending in ",>". However many rules share a host and path, no entry outgrows what
// HAProxy reads whole.
func setRuleList(routes *mapLines, key string, ids []string) {
	part, value := 0, ""
	for _, id := range ids {
		if value != "" && len(value)+1+len(id)+2 > maxRuleList {
			routes.set(partKey(key, part), value+",>")
			part, value = part+1, ""
		}
		if value != "" {
			value += ","
		}
		value += id
	}
	routes.set(partKey(key, part), value)
}

// partKey is the key of a part of a rule list: "<claim>|<tier>>2E<path>" for the third part of
// "<claim>|<tier>E<path>". The router builds every key it looks up from a request's path, which
// comes after the "E" or "P": no request reaches a part but through the part before it.
func partKey(key string, part int) string {
	if part == 0 {
		return key
	}
	i := strings.IndexByte(key, '|') + 1
	for i < len(key) && '0' <= key[i] && key[i] <= '9' {
		i++
	}
	return key[:i] + ">" + strconv.Itoa(part) + key[i:]
}

// httpBackendEntries are the HTTP backends map's entries: each HTTP route backend by its name.
func httpBackendEntries(dp model.DataPlane) *sortedLines {
	out := mapLines{}
	for _, b := range dp.Backends {
		if b.HTTP {
			name := backendName(b.ID)
			out.set(name, name)
		}
	}
	s := sortLines(out)
	return &s
}

// httpBackendsFrom returns the HTTP backends map's entries: patched from prev's at the route
// backends a render did not reuse from it (rendered) and those of prev it no longer has (gone),
// with the edits; built when there is no prev (then edits is nil).
func httpBackendsFrom(prev *Config, dp model.DataPlane, rendered, gone []*backendBlock) (entries *sortedLines, edits []mapEdit) {
	if prev == nil || prev.httpBackends == nil {
		return httpBackendEntries(dp), nil
	}
	values := map[string]string{}
	for _, b := range gone {
		values[b.data.Name] = ""
	}
	// A backend rendered again may have become an HTTP one or stopped being one.
	for _, b := range rendered {
		values[b.data.Name] = ""
		if b.from.HTTP {
			values[b.data.Name] = b.data.Name
		}
	}
	if len(values) == 0 {
		return prev.httpBackends, []mapEdit{}
	}
	patch := prev.httpBackends.patch()
	edits = patch.putAll(values)
	return &patch.out, edits
}

// isHTTPBackend reports whether name is an HTTP route backend of the configuration.
func (c *Config) isHTTPBackend(name string) bool {
	if c.httpBackends == nil {
		return false
	}
	_, found := c.httpBackends.get(name)
	return found
}

// The HTTP backends map's file name, and the end of every rules map's.
const (
	httpBackendsMapName = "http-backends.map"
	httpRulesMapSuffix  = ".http-rules.map"
)

// httpMapPaths are the paths of a socket's routes and rules maps.
func httpMapPaths(dir, stem string) (routes, rules string) {
	return filepath.Join(dir, "maps", stem+".http-routes.map"), filepath.Join(dir, "maps", stem+httpRulesMapSuffix)
}
