package haproxy

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A route change touches a few virtual hosts of a socket that may serve thousands. A socket's
// routes and rules map entries are kept with the virtual hosts they were rendered from, and the
// next render patches them at the virtual hosts that changed instead of building them again,
// noting what it changed in each map file (mapEdits) as sniMaps does. A virtual host owns its
// routes map keys ("<listener>@<hostname>|..."); a rule's entry is shared by every virtual host
// listing it (a route serving several hostnames), so each rule counts its virtual hosts.
// TestPatchedHTTPMapsEqualRender checks both against a render from nothing and against comparing
// the files.

// httpSocketMaps are a socket's host, routes and rules map entries, sorted by key, with the
// listeners and virtual hosts they were rendered from, how many of the virtual hosts list each
// rule, and how many path prefixes of each depth they hold.
type httpSocketMaps struct {
	listeners []model.ListenerClaim
	from      []model.VirtualHost
	// ordered says that from is in strictly increasing hostname order, as the model has it: only
	// then can the next render patch these entries.
	ordered              bool
	hosts, routes, rules sortedLines
	// ruleUses and depths belong to the one configuration that patches these maps next: a patch
	// takes them over (see patchHTTPMaps).
	ruleUses map[string]int
	depths   map[int]int
}

// patchAbove is how many changed virtual hosts make a render build a socket's maps anew: patching
// costs a map lookup per entry of each, building one per entry of all.
const patchAbove = 256

// httpMapEdits are the entries a patch changed in each of a socket's host, routes and rules maps.
type httpMapEdits struct{ hosts, routes, rules []mapEdit }

// httpSocketMapsFrom returns a socket's host, routes and rules map entries: patched from prev's
// when prev rendered the socket with the same listeners and few other virtual hosts, else built
// (then edits is nil).
func httpSocketMapsFrom(prev *Config, sock model.Socket) (maps *httpSocketMaps, edits *httpMapEdits) {
	if prev != nil {
		if before := prev.httpMaps[socketID(sock)]; before != nil && before.ordered && before.ruleUses != nil && slices.Equal(before.listeners, sock.Listeners) {
			if changed, ok := changedVirtualHosts(before.from, sock.VirtualHosts); ok {
				return patchHTTPMaps(before, sock, changed)
			}
		}
	}
	return httpMaps(sock), nil
}

// httpMaps are a socket's host, routes and rules map entries, built from its listeners and
// virtual hosts.
func httpMaps(sock model.Socket) *httpSocketMaps {
	out := &httpSocketMaps{listeners: sock.Listeners, from: sock.VirtualHosts, ordered: byVirtualHost(sock.VirtualHosts),
		hosts: sortLines(hostClaims(sock)), ruleUses: map[string]int{}, depths: map[int]int{}}
	var allRoutes, allRules mapLines
	for _, vh := range sock.VirtualHosts {
		routes, rules, depths := virtualHostEntries(vh)
		allRoutes = append(allRoutes, routes...)
		allRules = append(allRules, rules...)
		for _, r := range rules {
			out.ruleUses[r.key]++
		}
		for _, d := range depths {
			out.depths[d]++
		}
	}
	allRoutes.set(depthKey, strconv.Itoa(out.depth()))
	out.routes, out.rules = sortLines(allRoutes), sortLines(allRules)
	return out
}

// virtualHostEntries are a virtual host's routes map entries, its rules' entries (one per rule:
// the model lists each once in a virtual host), and the depth of each of its path prefixes.
func virtualHostEntries(vh model.VirtualHost) (routes, rules mapLines, depths []int) {
	claim := vh.Listener + "@" + vh.Hostname
	// A virtual host's rules are in precedence order: each key lists its rules in that order.
	// Rules of routes that name the host less precisely form later tiers.
	var keys []string
	lists := map[string][]string{}
	tier := 0
	for i, r := range vh.Rules {
		if i > 0 && r.HostnameRank != vh.Rules[i-1].HostnameRank {
			tier++
		}
		id, key := ruleID(r), routeKey(claim, tier, r)
		if _, ok := lists[key]; !ok {
			keys = append(keys, key)
		}
		lists[key] = append(lists[key], id)
		backend := backendName(r.Backend)
		if r.Filters != nil && r.Filters.Redirect != nil {
			backend = ""
		}
		rules.set(id, encodeRule(r, backend))
		if r.PathType == model.PathPrefix {
			depths = append(depths, strings.Count(strings.TrimSuffix(r.Path, "/"), "/"))
		}
	}
	for _, k := range keys {
		setRuleList(&routes, k, lists[k])
	}
	if tier > 0 {
		routes.set(claim+"|tiers", strconv.Itoa(tier+1))
	}
	return routes, rules, depths
}

// depth is the most segments a path prefix of the socket has, at least 1.
func (m *httpSocketMaps) depth() int {
	depth := 1
	for d, n := range m.depths {
		if n > 0 {
			depth = max(depth, d)
		}
	}
	return depth
}

// changedVirtualHosts pairs the virtual hosts of before and now that may differ, by hostname (nil
// for one that is not there); false when they are too many to patch, or now is not in strictly
// increasing hostname order. A virtual host the model kept as it was shares its rules with the one
// before: only the others are looked at. before is known to be in order, and the virtual hosts
// now shares with it keep its order: now is checked only where the others are (see changedSNI).
func changedVirtualHosts(before, now []model.VirtualHost) ([][2]*model.VirtualHost, bool) {
	var changed [][2]*model.VirtualHost
	var fresh []int
	j := 0
	model.WalkSorted(before, now, compareVirtualHosts, func(x, y *model.VirtualHost) {
		if len(changed) <= patchAbove && (x == nil || y == nil || !sameVirtualHost(*x, *y)) {
			changed = append(changed, [2]*model.VirtualHost{x, y})
			if y != nil {
				fresh = append(fresh, j)
			}
		}
		if y != nil {
			j++
		}
	})
	return changed, len(changed) <= patchAbove && inOrderAt(now, fresh, virtualHostname)
}

func virtualHostname(v model.VirtualHost) string { return v.Hostname }

func compareVirtualHosts(a, b model.VirtualHost) int { return strings.Compare(a.Hostname, b.Hostname) }

func byVirtualHost(hosts []model.VirtualHost) bool {
	for i := 1; i < len(hosts); i++ {
		if hosts[i-1].Hostname >= hosts[i].Hostname {
			return false
		}
	}
	return true
}

// sameVirtualHost reports whether two virtual hosts are one the model kept: same names, same
// rules list.
func sameVirtualHost(a, b model.VirtualHost) bool {
	return a.Hostname == b.Hostname && a.Listener == b.Listener && len(a.Rules) == len(b.Rules) &&
		(len(a.Rules) == 0 || &a.Rules[0] == &b.Rules[0])
}

// patchHTTPMaps is httpMaps for a socket whose listeners are those before and whose virtual
// hosts changed only where changed says: each pair's entries before are taken out and those now
// put in, each key once, in key order.
func patchHTTPMaps(before *httpSocketMaps, sock model.Socket, changed [][2]*model.VirtualHost) (*httpSocketMaps, *httpMapEdits) {
	out := &httpSocketMaps{listeners: sock.Listeners, from: sock.VirtualHosts, ordered: true, hosts: before.hosts, routes: before.routes, rules: before.rules,
		ruleUses: before.ruleUses, depths: before.depths}
	before.ruleUses, before.depths = nil, nil
	edits := &httpMapEdits{hosts: []mapEdit{}, routes: []mapEdit{}, rules: []mapEdit{}}
	if len(changed) == 0 {
		return out, edits
	}
	hosts, routes, rules := map[string]string{}, map[string]string{}, map[string]string{}
	for _, pair := range changed {
		hostname := cmp.Or(pair[0], pair[1]).Hostname
		hosts[hostname] = hostClaim(sock.Listeners, pair[1], hostname)
	}
	for _, pair := range changed {
		if x := pair[0]; x != nil {
			r, ids, depths := virtualHostEntries(*x)
			for _, e := range r {
				routes[e.key] = ""
			}
			for _, e := range ids {
				out.ruleUses[e.key]--
				if _, ok := rules[e.key]; !ok {
					rules[e.key] = ""
				}
			}
			for _, d := range depths {
				out.depths[d]--
			}
		}
	}
	for _, pair := range changed {
		if y := pair[1]; y != nil {
			r, ids, depths := virtualHostEntries(*y)
			for _, e := range r {
				routes[e.key] = e.value
			}
			for _, e := range ids {
				out.ruleUses[e.key]++
				rules[e.key] = e.value
			}
			for _, d := range depths {
				out.depths[d]++
			}
		}
	}
	routes[depthKey] = strconv.Itoa(out.depth())
	for id, value := range rules {
		switch {
		case out.ruleUses[id] <= 0:
			delete(out.ruleUses, id)
			rules[id] = ""
		case value == "":
			// Still listed by a virtual host that did not change: its entry stands.
			delete(rules, id)
		}
	}
	hostsPatch, routesPatch, rulesPatch := before.hosts.patch(), before.routes.patch(), before.rules.patch()
	edits.hosts, edits.routes, edits.rules = hostsPatch.putAll(hosts), routesPatch.putAll(routes), rulesPatch.putAll(rules)
	out.hosts, out.routes, out.rules = hostsPatch.out, routesPatch.out, rulesPatch.out
	return out, edits
}

// hostClaim is the host map value of hostname, as hostClaims gives it: its virtual host (nil for
// none) or else the listener that names it, "" for neither.
func hostClaim(listeners []model.ListenerClaim, vh *model.VirtualHost, hostname string) string {
	if vh != nil {
		return vh.Listener + "@" + vh.Hostname
	}
	// The last listener naming it, as the last value set stands.
	for _, c := range slices.Backward(listeners) {
		if c.Hostname == hostname {
			return c.Listener + "@"
		}
	}
	return ""
}
