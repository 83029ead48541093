package haproxy

import (
	"bufio"
	"bytes"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Plan is how to move HAProxy from one configuration to another: runtime API commands, or a
// reload with the reasons why the runtime API cannot do it.
type Plan struct {
	Ops     []Op
	Reload  bool
	Reasons []string
}

// Empty reports whether nothing needs doing.
func (p Plan) Empty() bool { return !p.Reload && len(p.Ops) == 0 }

// PlanChange compares the running configuration with the wanted one. It is pure: it reads only
// its arguments. A nil running configuration means HAProxy runs nothing of ours yet.
//
// Without a reload: servers added, removed or re-weighted, and map entries added, changed or
// removed (new hostnames, deleted routes, a hostname moving between passthrough and terminate).
// With a reload: anything else in haproxy.cfg (sockets, backends, rules) and certificates.
func PlanChange(running, wanted *Config) Plan {
	if running == nil {
		return Plan{Reload: true, Reasons: []string{"first configuration"}}
	}
	var reasons []string
	if !bytes.Equal(running.Skeleton, wanted.Skeleton) {
		reasons = append(reasons, "haproxy.cfg changed beyond servers")
	}
	var changedFiles []string
	for path, f := range wanted.Files {
		if old, ok := running.Files[path]; (!ok || !bytes.Equal(old.Content, f.Content)) && !wanted.Maps[path] {
			changedFiles = append(changedFiles, filepath.Base(path))
		}
	}
	sort.Strings(changedFiles)
	for _, name := range changedFiles {
		reasons = append(reasons, name+" changed")
	}
	if len(reasons) > 0 {
		return Plan{Reload: true, Reasons: reasons}
	}
	var p Plan
	added, removed := serverOps(running.Servers, wanted.Servers)
	p.Ops = append(p.Ops, added...)
	p.Ops = append(p.Ops, mapOps(running, wanted)...)
	p.Ops = append(p.Ops, removed...)
	return p
}

// serverOps returns the ops that add or re-weight servers, and those that remove them.
func serverOps(running, wanted map[string][]ServerLine) (added, removed []Op) {
	for _, backend := range sortedKeys(wanted) {
		old := running[backend]
		for _, s := range wanted[backend] {
			i := slices.IndexFunc(old, func(o ServerLine) bool { return o.Name == s.Name })
			switch {
			case i < 0:
				added = append(added,
					Op{Kind: AddServer, Backend: backend, Server: s.Name, Address: s.Address, Weight: s.Weight},
					Op{Kind: EnableServer, Backend: backend, Server: s.Name})
			case old[i].Weight != s.Weight:
				added = append(added, Op{Kind: SetWeight, Backend: backend, Server: s.Name, Weight: s.Weight})
			}
		}
		for _, o := range old {
			if !slices.ContainsFunc(wanted[backend], func(s ServerLine) bool { return s.Name == o.Name }) {
				removed = append(removed,
					Op{Kind: DrainServer, Backend: backend, Server: o.Name},
					Op{Kind: ShutdownSessions, Backend: backend, Server: o.Name},
					Op{Kind: DelServer, Backend: backend, Server: o.Name})
			}
		}
	}
	return added, removed
}

// mapOps turns map file differences into entry changes: additions and changes first, then
// removals, each map in path order and each entry in key order.
func mapOps(running, wanted *Config) []Op {
	var upserts, dels []Op
	for _, path := range sortedKeys(wanted.Maps) {
		old, now := parseMap(running.Files[path].Content), parseMap(wanted.Files[path].Content)
		for _, key := range sortedKeys(now) {
			if v, ok := old[key]; !ok {
				upserts = append(upserts, Op{Kind: AddMapEntry, Map: path, Key: key, Value: now[key]})
			} else if v != now[key] {
				upserts = append(upserts, Op{Kind: SetMapEntry, Map: path, Key: key, Value: now[key]})
			}
		}
		for _, key := range sortedKeys(old) {
			if _, ok := now[key]; !ok {
				dels = append(dels, Op{Kind: DelMapEntry, Map: path, Key: key})
			}
		}
	}
	return append(upserts, dels...)
}

func parseMap(content []byte) map[string]string {
	entries := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(content))
	for scanner.Scan() {
		if key, value, ok := strings.Cut(scanner.Text(), " "); ok {
			entries[key] = value
		}
	}
	return entries
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String says what the plan does, for the one log line per applied change.
func (p Plan) String() string {
	switch {
	case p.Reload:
		return "reload: " + strings.Join(p.Reasons, "; ")
	case len(p.Ops) == 0:
		return "nothing"
	}
	counts := map[OpKind]int{}
	for _, op := range p.Ops {
		counts[op.Kind]++
	}
	var parts []string
	for _, c := range []struct {
		kind OpKind
		name string
	}{{AddServer, "servers added"}, {SetWeight, "weights set"}, {DelServer, "servers removed"},
		{AddMapEntry, "map entries added"}, {SetMapEntry, "map entries changed"}, {DelMapEntry, "map entries removed"}} {
		if counts[c.kind] > 0 {
			parts = append(parts, strconv.Itoa(counts[c.kind])+" "+c.name)
		}
	}
	return "runtime API: " + strings.Join(parts, ", ")
}
