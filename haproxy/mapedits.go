package haproxy

import (
	"slices"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A route change touches a few hostnames of a socket that may serve thousands. A TLS socket's SNI
// and Terminate map entries are kept with the socket they were rendered from, and the next render
// patches them at the hostnames whose routes changed instead of building them again; it notes
// what it changed in each map file (mapEdits), so that the plan against the configuration it
// started from takes the entry ops from those notes instead of comparing whole files.
// TestPatchedMapsEqualRender checks both against a render from nothing and against comparing
// the files.

// socketMaps are a TLS socket's SNI and Terminate map entries, sorted by key, and the socket they
// were rendered from. ordered says that from's SNI routes are in strictly increasing hostname
// order, as the model has them: only then can the next render patch these entries.
type socketMaps struct {
	from           model.Socket
	ordered        bool
	sni, terminate sortedLines
}

// mapEdit is one entry of a map file that differs from the configuration a render started from:
// its key as the file has it, its value before (had) and now (has).
type mapEdit struct {
	key      string
	old, now string
	had, has bool
}

// sniMaps returns a TLS socket's SNI and Terminate map entries: patched from prev's when prev
// rendered the same socket with other routes alone, else built. A hostname's SNI value is, from
// the strongest: the Terminate frontend, its passthrough backend, the HTTPS frontend, refused
// (a TLS listener claims it).
func sniMaps(prev *Config, sock model.Socket, sd socketData) (maps *socketMaps, sniEdits, terminateEdits []mapEdit, patched bool) {
	if prev != nil {
		if before := prev.socketMaps[socketID(sock)]; before != nil && before.ordered && onlyRoutesDiffer(before.from, sock) {
			if out, sniEdits, terminateEdits, ok := patchMaps(before, sock, sd); ok {
				return out, sniEdits, terminateEdits, true
			}
		}
	}
	var sni mapLines
	terminate := make(mapLines, 0, len(sock.Listeners)+len(sock.Terminate))
	// A name that a TLS listener claims but none of its routes serves is refused, never left
	// to a less specific listener's routes: by the SNI map, or on a direct socket (no SNI map
	// before the handshake, see socketData.Direct) by the Terminate map itself.
	claims := &terminate
	if !sd.Direct {
		sni = make(mapLines, 0, len(sock.Listeners)+len(sock.HTTPS)+len(sock.Passthrough)+len(sock.Terminate))
		claims = &sni
	}
	for _, c := range sock.Listeners {
		if c.Mode == model.ListenerPassthrough || c.Mode == model.ListenerTerminate {
			claims.set(c.Hostname, refused)
		}
	}
	// A direct socket has neither HTTPS names nor Passthrough routes.
	for _, name := range sock.HTTPS {
		sni.set(name, sd.HTTPSBackend)
	}
	for _, r := range sock.Passthrough {
		sni.set(r.Hostname, backendName(r.Backend))
	}
	for _, r := range sock.Terminate {
		if !sd.Direct {
			sni.set(r.Hostname, sd.TerminateBackend)
		}
		terminate.set(r.Hostname, backendName(r.Backend))
	}
	ordered := byHostname(sock.Passthrough) && byHostname(sock.Terminate)
	return &socketMaps{from: sock, ordered: ordered, sni: sortLines(sni), terminate: sortLines(terminate)}, nil, nil, false
}

// onlyRoutesDiffer reports whether two versions of a socket differ in their SNI routes alone.
func onlyRoutesDiffer(a, b model.Socket) bool {
	return a.Address == b.Address && a.Port == b.Port && a.Gateway == b.Gateway && a.Protocol == b.Protocol &&
		slices.Equal(a.Listeners, b.Listeners) && slices.Equal(a.HTTPS, b.HTTPS)
}

// byHostname reports whether routes are in strictly increasing hostname order.
func byHostname(routes []*model.SNIRoute) bool {
	for i := 1; i < len(routes); i++ {
		if routes[i-1].Hostname >= routes[i].Hostname {
			return false
		}
	}
	return true
}

// inOrderAt reports whether each entry of list at the indices at is in strictly increasing
// hostname order with its neighbours.
func inOrderAt[T any](list []T, at []int, hostname func(T) string) bool {
	for _, i := range at {
		if i > 0 && hostname(list[i-1]) >= hostname(list[i]) || i+1 < len(list) && hostname(list[i]) >= hostname(list[i+1]) {
			return false
		}
	}
	return true
}

func sniHostname(r *model.SNIRoute) string { return r.Hostname }

// changedSNI walks a socket's SNI routes before and now, both meant to be in strictly increasing
// hostname order, and adds to changed the hostnames whose route was added, changed or removed.
// before is known to be in order; now is checked at the routes it does not share with before:
// the shared ones keep before's order, so a list whose other routes are in order with their
// neighbours is in order, and a change costs a walk over pointers, not a comparison of every
// hostname. false means now is not in order, and what was added to changed means nothing.
func changedSNI(before, now []*model.SNIRoute, changed []string) ([]string, bool) {
	var fresh []int
	j := 0
	model.WalkSorted(before, now, compareSNIRoutes, func(x, y **model.SNIRoute) {
		switch {
		case x == nil:
			changed = append(changed, (*y).Hostname)
		case y == nil || !model.SameSNIRoute(*x, *y):
			changed = append(changed, (*x).Hostname)
		}
		if y != nil {
			if x == nil || *x != *y {
				fresh = append(fresh, j)
			}
			j++
		}
	})
	return changed, inOrderAt(now, fresh, sniHostname)
}

func compareSNIRoutes(a, b *model.SNIRoute) int {
	if a == b {
		return 0 // models share the entries a change did not touch
	}
	return strings.Compare(a.Hostname, b.Hostname)
}

// patchMaps is sniMaps for a socket whose SNI routes alone changed since before; false when
// sock's SNI routes are not in hostname order, which a patch needs.
func patchMaps(before *socketMaps, sock model.Socket, sd socketData) (*socketMaps, []mapEdit, []mapEdit, bool) {
	changed, ordered := changedSNI(before.from.Passthrough, sock.Passthrough, nil)
	if !ordered {
		return nil, nil, nil, false
	}
	if changed, ordered = changedSNI(before.from.Terminate, sock.Terminate, changed); !ordered {
		return nil, nil, nil, false
	}
	slices.Sort(changed)
	changed = slices.Compact(changed)
	out := &socketMaps{from: sock, ordered: true, sni: before.sni, terminate: before.terminate}
	if len(changed) == 0 {
		return out, nil, nil, true
	}
	sni, terminate := before.sni.patch(), before.terminate.patch()
	var sniEdits, terminateEdits []mapEdit
	for _, h := range changed {
		sniValue, terminateValue := "", ""
		if r, ok := findSNI(sock.Terminate, h); ok {
			sniValue, terminateValue = sd.TerminateBackend, backendName(r.Backend)
		} else if r, ok := findSNI(sock.Passthrough, h); ok {
			sniValue = backendName(r.Backend)
		} else if slices.Contains(sock.HTTPS, h) {
			sniValue = sd.HTTPSBackend
		} else if slices.ContainsFunc(sock.Listeners, func(c model.ListenerClaim) bool {
			return c.Hostname == h && (c.Mode == model.ListenerPassthrough || c.Mode == model.ListenerTerminate)
		}) {
			sniValue = refused
		}
		if sd.Direct {
			// The Terminate map refuses the claimed names itself (see sniMaps).
			if terminateValue == "" {
				terminateValue = sniValue
			}
		} else if e, ok := sni.put(h, sniValue); ok {
			sniEdits = append(sniEdits, e)
		}
		if e, ok := terminate.put(h, terminateValue); ok {
			terminateEdits = append(terminateEdits, e)
		}
	}
	out.terminate = terminate.out
	if !sd.Direct {
		out.sni = sni.out
	}
	return out, sniEdits, terminateEdits, true
}

func findSNI(routes []*model.SNIRoute, hostname string) (*model.SNIRoute, bool) {
	i, found := slices.BinarySearchFunc(routes, hostname, compareSNIToHostname)
	if !found {
		return nil, false
	}
	return routes[i], true
}

func compareSNIToHostname(r *model.SNIRoute, hostname string) int {
	return strings.Compare(r.Hostname, hostname)
}

// noteEdits files a map's edits by the map file that holds each key, as the file writes it.
func noteEdits(cfg *Config, l lookupData, edits []mapEdit) {
	exact, wildcard := []mapEdit{}, []mapEdit{}
	for _, e := range edits {
		if suffix, ok := strings.CutPrefix(e.key, "*."); ok {
			e.key = "." + suffix
			wildcard = append(wildcard, e)
		} else {
			exact = append(exact, e)
		}
	}
	// Every wildcard key drops the same "*": the edits stay in the file's key order.
	cfg.mapEdits[l.Exact], cfg.mapEdits[l.Wildcard] = exact, wildcard
}

// editOps are the entry ops of a map's edits, as entryDiff would find them: additions and
// changes, then removals, each in key order.
func editOps(path string, edits []mapEdit, oldSpares, nowSpares map[string]string) (upserts, dels []Op) {
	for _, e := range edits {
		switch {
		case !e.has:
			dels = append(dels, Op{Kind: DelMapEntry, Map: path, Key: e.key})
		case !e.had:
			upserts = append(upserts, Op{Kind: AddMapEntry, Map: path, Key: e.key, Value: section(e.now, nowSpares)})
		case section(e.old, oldSpares) != section(e.now, nowSpares):
			upserts = append(upserts, Op{Kind: SetMapEntry, Map: path, Key: e.key, Value: section(e.now, nowSpares)})
		}
	}
	return upserts, dels
}

// onlyNewOrGone reports whether every backend that moved to or from a spare is one only wanted
// or only running has: then a map entry that did not change names none of them.
func onlyNewOrGone(moved []string, running, wanted *Config) bool {
	for _, name := range moved {
		before, now := running.Servers.Has(name), wanted.Servers.Has(name)
		if before && now {
			return false
		}
	}
	return true
}
