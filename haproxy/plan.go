package haproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Plan is how to move HAProxy from one configuration to another: runtime API commands, or a
// reload with the reasons why the runtime API cannot do it.
type Plan struct {
	Ops     []Op
	Reload  bool
	Reasons []Reason
	// Spares is which spare backend serves each route backend added since the last reload, once
	// the ops have run: the running map itself when the plan assigns and frees none. It is never
	// changed in place.
	Spares map[string]string
	// Assigned is the part of Spares this plan assigns: the new route backends it puts in spares.
	Assigned map[string]string
}

// Reason is why a change needs a reload. Kind is one of a few fixed values, for metrics; Detail
// says exactly what, for the log.
type Reason struct {
	Kind   ReasonKind
	Detail string
}

// ReasonKind is a class of reload reasons.
type ReasonKind string

const (
	FirstConfiguration ReasonKind = "first-configuration"
	// ConfigChanged is a change to haproxy.cfg beyond route backends: addresses, ports, frontends
	// and their binds.
	ConfigChanged    ReasonKind = "config-changed"
	FileChanged      ReasonKind = "file-changed"
	CrtListAmbiguous ReasonKind = "crt-list-ambiguous"
	// CAFileTooLarge is a CA file servers need that is too large to send through the runtime API.
	CAFileTooLarge ReasonKind = "ca-file-too-large"
	SparesUsedUp   ReasonKind = "spare-backends-used-up"
	// HTTPSparesUsedUp is SparesUsedUp for the spares of HTTP route backends.
	HTTPSparesUsedUp ReasonKind = "http-spare-backends-used-up"
	RuntimeFailed    ReasonKind = "runtime-api-failed"
	RuntimeDisagrees ReasonKind = "runtime-state-differs"
	// WriteFailed is a runtime change whose files could not be written: the reload writes them.
	WriteFailed ReasonKind = "write-failed"
	Forced      ReasonKind = "forced"
	// UnsafeRuntimeArgument is a change whose strings the runtime socket would split.
	UnsafeRuntimeArgument ReasonKind = "unsafe-runtime-argument"
)

// Empty reports whether nothing needs doing.
func (p Plan) Empty() bool { return !p.Reload && len(p.Ops) == 0 }

func reload(kind ReasonKind, detail string) Plan {
	return Plan{Reload: true, Reasons: []Reason{{kind, detail}}}
}

// PlanChange compares what runs with the wanted configuration. It is pure: it reads only its
// arguments. A nil live state means HAProxy runs nothing of ours yet.
//
// Without a reload: servers added, removed or re-weighted, or given new TLS settings (as new
// servers, with the CA files they name); map entries added, changed or removed (new hostnames, a
// hostname moving between passthrough and terminate, and every HTTP routing change: virtual
// hosts, paths, conditions, filters, rule order); certificates added, rotated or removed with
// their crt-list lines; route backends added (served by a spare backend of their kind) or
// removed. With a reload (ConfigChanged): anything else in haproxy.cfg (sockets, binds); new
// route backends when no spare of their kind is left; a CA file too large for the runtime API
// (CAFileTooLarge).
func PlanChange(live *Live, wanted *Config) Plan {
	if live == nil {
		return reload(FirstConfiguration, "first configuration")
	}
	running := live.Config
	var reasons []Reason
	if !bytes.Equal(running.Skeleton, wanted.Skeleton) {
		reasons = append(reasons, Reason{ConfigChanged, "haproxy.cfg changed beyond route backends"})
	}
	var changedFiles []string
	for path, f := range wanted.Files {
		if wanted.Maps[path] || wanted.CrtLists[path] || wanted.Certs[path] || wanted.CAFiles[path] > 0 {
			continue // changed at runtime
		}
		if old, ok := running.Files[path]; !ok || !old.sameContent(f) {
			changedFiles = append(changedFiles, filepath.Base(path))
		}
	}
	sort.Strings(changedFiles)
	for _, name := range changedFiles {
		reasons = append(reasons, Reason{FileChanged, name + " changed"})
	}
	certsIn, certsOut, ambiguous := certificateOps(running, wanted)
	if ambiguous != "" {
		reasons = append(reasons, Reason{CrtListAmbiguous, ambiguous})
	}
	casIn, casOut, tooLarge := caFileOps(running, wanted)
	if tooLarge != "" {
		reasons = append(reasons, Reason{CAFileTooLarge, tooLarge})
	}
	before, after, fresh := changedServers(running, wanted)
	spares, assigned, short := assignSpares(live, wanted, before, fresh)
	reasons = append(reasons, short...)
	if len(reasons) > 0 {
		return Plan{Reload: true, Reasons: reasons}
	}
	p := Plan{Spares: spares, Assigned: assigned}
	serversIn, serversOut := serverOps(bySection(before, live.Spares), bySection(after, spares))
	// Everything a map entry may point at exists before the entry; what it pointed at goes after.
	// Likewise the CA files crt-list lines and servers name.
	p.Ops = append(p.Ops, casIn...)
	p.Ops = append(p.Ops, certsIn...)
	p.Ops = append(p.Ops, serversIn...)
	p.Ops = append(p.Ops, mapOps(running, wanted, live.Spares, spares)...)
	// Servers go before the certificates they present.
	p.Ops = append(p.Ops, serversOut...)
	p.Ops = append(p.Ops, certsOut...)
	p.Ops = append(p.Ops, casOut...)
	return checkOps(p)
}

// assignSpares keeps the spares of route backends still wanted and gives each new route backend
// (of fresh, the wanted ones the running configuration lacks) a free one, unless the workers
// still hold a section of that name. A spare freed by this change is reused only by a later one,
// once its servers are out of service (they may still wait for deletion there, see leaving). When
// spares run short it says so instead. Only the backends the change touched (before: those whose
// servers changed or that are gone) can free a spare, so a change that frees and assigns none
// keeps live.Spares itself, and costs nothing however many spares are in use. assigned is what
// this change assigns.
func assignSpares(live *Live, wanted *Config, before map[string][]ServerLine, fresh []string) (spares, assigned map[string]string, short []Reason) {
	var gone []string
	for name := range before {
		if _, used := live.Spares[name]; used {
			if !wanted.Servers.Has(name) {
				gone = append(gone, name)
			}
		}
	}
	var added [2][]string
	for _, name := range fresh {
		if _, ok := live.Spares[name]; !ok && !live.Sections[name] {
			http := wanted.isHTTPBackend(name)
			added[b2i(http)] = append(added[b2i(http)], name)
		}
	}
	if len(gone)+len(added[0])+len(added[1]) == 0 {
		return live.Spares, nil, nil
	}
	spares = maps.Clone(live.Spares)
	if spares == nil {
		spares = map[string]string{}
	}
	for _, name := range gone {
		delete(spares, name)
	}
	for _, http := range []bool{false, true} {
		names := added[b2i(http)]
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		free, left := live.freeSpares(http, len(names))
		switch {
		case len(names) > left && http:
			short = append(short, Reason{HTTPSparesUsedUp, fmt.Sprintf("%d new HTTP route backends, %d HTTP spare backends left", len(names), left)})
		case len(names) > left:
			short = append(short, Reason{SparesUsedUp, fmt.Sprintf("%d new route backends, %d spare backends left", len(names), left)})
		}
		for i, name := range names[:min(len(names), len(free))] {
			if assigned == nil {
				assigned = map[string]string{}
			}
			spares[name], assigned[name] = free[i], free[i]
		}
	}
	if short != nil {
		return nil, nil, short
	}
	return spares, assigned, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bySection keys servers by the backend of the workers that holds them. In a spare, each server's
// name starts with the name of the route backend it serves: the stats page shows the spare's
// name for the backend (HAProxy 2.6 renames no backend at runtime), and the route on every line.
func bySection(servers map[string][]ServerLine, spares map[string]string) map[string][]ServerLine {
	out := make(map[string][]ServerLine, len(servers))
	for name, lines := range servers {
		spare, ok := spares[name]
		if !ok {
			out[name] = lines
			continue
		}
		named := make([]ServerLine, len(lines))
		for i, l := range lines {
			l.Name = spareServerName(name, l.Name)
			named[i] = l
		}
		out[spare] = named
	}
	return out
}

// certificateOps returns the ops that load certificates and offer them in crt-lists, and those
// that withdraw and free them. A rotated certificate is replaced in place: its crt-list lines stay.
// A crt-list naming one file on several changed lines cannot be edited by file name; the reason is
// returned instead, for a reload.
func certificateOps(running, wanted *Config) (in, out []Op, reload string) {
	for _, path := range sortedKeys(wanted.Certs) {
		old, loaded := running.Files[path]
		content := wanted.Files[path].Content()
		switch {
		case !loaded:
			in = append(in, Op{Kind: NewCert, Cert: path}, Op{Kind: SetCert, Cert: path, Payload: content}, Op{Kind: CommitCert, Cert: path})
		case !bytes.Equal(old.Content(), content):
			in = append(in, Op{Kind: SetCert, Cert: path, Payload: content}, Op{Kind: CommitCert, Cert: path})
		}
	}
	for _, list := range sortedKeys(wanted.CrtLists) {
		oldLines, newLines := lines(running.Files[list].Content()), lines(wanted.Files[list].Content())
		var changed []string
		for _, l := range newLines {
			if !slices.Contains(oldLines, l) {
				in = append(in, Op{Kind: AddCrtListEntry, CrtList: list, Line: l})
				changed = append(changed, strings.Fields(l)[0])
			}
		}
		for _, l := range oldLines {
			if !slices.Contains(newLines, l) {
				out = append(out, Op{Kind: DelCrtListEntry, CrtList: list, Line: l})
				changed = append(changed, strings.Fields(l)[0])
			}
		}
		for _, cert := range changed {
			if count(oldLines, cert) > 1 || count(newLines, cert) > 1 {
				return nil, nil, filepath.Base(list) + " names " + filepath.Base(cert) + " on several lines"
			}
		}
	}
	for _, path := range sortedKeys(running.Certs) {
		if !wanted.Certs[path] {
			out = append(out, Op{Kind: DelCert, Cert: path})
		}
	}
	return in, out, ""
}

func lines(content []byte) []string {
	var out []string
	for _, l := range strings.Split(string(content), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// count is how many lines offer the certificate file.
func count(lines []string, cert string) int {
	n := 0
	for _, l := range lines {
		if strings.Fields(l)[0] == cert {
			n++
		}
	}
	return n
}

// changedServers are the server lines of the route backends whose lines differ, before and
// after (a backend only on one side has none on the other), and fresh, the wanted backends the
// running configuration lacks. With thousands of backends a change touches a few, and only those
// are planned: both configurations list their backend blocks in the model's order (by ID), and a
// block the render reused is the same block, so the walk compares pointers, not servers.
func changedServers(running, wanted *Config) (before, after map[string][]ServerLine, fresh []string) {
	before, after = map[string][]ServerLine{}, map[string][]ServerLine{}
	if !running.inOrder || !wanted.inOrder {
		for name, lines := range wanted.Servers.All() {
			old, ok := running.Servers.Get(name)
			if !ok {
				fresh = append(fresh, name)
			}
			if !ok || !slices.Equal(old, lines) {
				before[name], after[name] = old, lines
			}
		}
		for name, lines := range running.Servers.All() {
			if !wanted.Servers.Has(name) {
				before[name] = lines
			}
		}
		return before, after, fresh
	}
	byID := func(x, y *backendBlock) int {
		if x == y {
			return 0 // a reused block: most of them
		}
		return model.CompareBackendIDs(x.from.ID, y.from.ID)
	}
	model.WalkSorted(running.backends, wanted.backends, byID, func(a, b **backendBlock) {
		switch {
		case b == nil:
			before[(*a).data.Name] = (*a).data.Servers
		case a == nil:
			name := (*b).data.Name
			before[name], after[name] = nil, (*b).data.Servers
			fresh = append(fresh, name)
		case *a != *b && !slices.Equal((*a).data.Servers, (*b).data.Servers):
			name := (*b).data.Name
			before[name], after[name] = (*a).data.Servers, (*b).data.Servers
		}
	})
	return before, after, fresh
}

// serverOps returns the ops that add or re-weight servers, and those that remove them.
func serverOps(running, wanted map[string][]ServerLine) (added, removed []Op) {
	backends := map[string]bool{}
	for name := range running {
		backends[name] = true
	}
	for name := range wanted {
		backends[name] = true
	}
	for _, backend := range sortedKeys(backends) {
		old := running[backend]
		for _, s := range wanted[backend] {
			i := slices.IndexFunc(old, func(o ServerLine) bool { return o.Name == s.Name })
			switch {
			case i < 0:
				added = append(added,
					Op{Kind: AddServer, Backend: backend, Server: s.Name, Address: s.Address, Weight: s.Weight, CAFile: s.CAFile, Hostname: s.Hostname, ClientCert: s.ClientCert, Proxy: s.Proxy, HTTP2: s.HTTP2},
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

// mapOps turns map file differences into entry changes: additions and changes first, removals
// last, each entry in key order. Values name the backends of the workers. A map with many changes
// is replaced whole, atomically. Maps point at each other: a routes map entry names rules, a rule names an HTTP route
// backend in the HTTP backends map. So additions go to what is pointed at first (the HTTP backends
// map, then the rules maps, then the others) and removals the other way round: at no moment does
// an entry lead to one that is not there. A map replaced whole keeps the entries it loses until
// the removals, when it is replaced again without them.
func mapOps(running, wanted *Config, runningSpares, wantedSpares map[string]string) []Op {
	var upserts, dels [mapRanks][]Op
	moved := movedBackends(runningSpares, wantedSpares)
	edited := wanted.editedFrom == running.id && onlyNewOrGone(moved, running, wanted)
	for _, path := range sortedKeys(wanted.Maps) {
		rank := mapRank(path)
		if edits, ok := wanted.mapEdits[path]; ok && edited && len(edits) < replaceMapAbove {
			up, del := editOps(path, edits, runningSpares, wantedSpares)
			upserts[rank], dels[rank] = append(upserts[rank], up...), append(dels[rank], del...)
			continue
		}
		if sameEntries(running.Files[path].Content(), wanted.Files[path].Content(), moved) {
			continue
		}
		if up, del, ok := entryDiff(path, running.Files[path].Content(), wanted.Files[path].Content(), runningSpares, wantedSpares); ok && len(up)+len(del) < replaceMapAbove {
			upserts[rank], dels[rank] = append(upserts[rank], up...), append(dels[rank], del...)
			continue
		}
		old := mapEntries(running.Files[path].Content(), runningSpares)
		now := mapEntries(wanted.Files[path].Content(), wantedSpares)
		if changes := countChanges(old, now); changes >= replaceMapAbove {
			if rank == pointingMaps {
				upserts[rank] = append(upserts[rank], Op{Kind: ReplaceMap, Map: path, Entries: now})
				continue
			}
			// A map pointed at gains its new entries with the additions and loses the old ones
			// with the removals.
			kept, gone := maps.Clone(now), false
			for k, v := range old {
				if _, ok := now[k]; !ok {
					kept[k], gone = v, true
				}
			}
			if changes > len(kept)-len(now) {
				upserts[rank] = append(upserts[rank], Op{Kind: ReplaceMap, Map: path, Entries: kept})
			}
			if gone {
				dels[rank] = append(dels[rank], Op{Kind: ReplaceMap, Map: path, Entries: now})
			}
			continue
		}
		up, del := entryOps(path, old, now)
		upserts[rank], dels[rank] = append(upserts[rank], up...), append(dels[rank], del...)
	}
	var out []Op
	for rank := range mapRanks {
		out = append(out, upserts[rank]...)
	}
	for rank := mapRanks - 1; rank >= 0; rank-- {
		out = append(out, dels[rank]...)
	}
	return out
}

// Map ranks: what is pointed at comes first.
const (
	httpBackendsRank = iota
	httpRulesRank
	// pointingMaps are the maps nothing points at: host, SNI and routes maps.
	pointingMaps
	mapRanks
)

func mapRank(path string) int {
	switch {
	case filepath.Base(path) == httpBackendsMapName:
		return httpBackendsRank
	case strings.HasSuffix(path, httpRulesMapSuffix):
		return httpRulesRank
	}
	return pointingMaps
}

// entryOps are the entry changes from old to now, each in key order.
func entryOps(path string, old, now map[string]string) (upserts, dels []Op) {
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
	return upserts, dels
}

// movedBackends are the route backends whose section differs between two spare assignments.
func movedBackends(running, wanted map[string]string) []string {
	if model.SameMap(running, wanted) {
		return nil
	}
	var out []string
	for name, spare := range wanted {
		if running[name] != spare {
			out = append(out, name)
		}
	}
	for name := range running {
		if _, ok := wanted[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

// sameEntries reports, without reading it, that a map file whose content did not change has the
// same entries: none of its values names a backend that moved to or from a spare.
func sameEntries(old, now []byte, moved []string) bool {
	if !bytes.Equal(old, now) {
		return false
	}
	for _, name := range moved {
		if bytes.Contains(now, []byte(" "+name+"\n")) {
			return false
		}
	}
	return true
}

// entryDiff compares two map files entry by entry, walking both in key order, which is how
// Render writes them: a change to one entry of a map of 10,000 costs one pass over the bytes,
// not two maps and two sorts. The ops are those mapOps would make. False when a file is not in
// strictly increasing key order (then mapOps reads the entries into maps).
func entryDiff(path string, old, now []byte, oldSpares, nowSpares map[string]string) (upserts, dels []Op, ok bool) {
	// Keys and values are compared as bytes; only an op's strings are allocated.
	next := func(content *[]byte, last *[]byte) (key, value []byte, more, sorted bool) {
		for len(*content) > 0 {
			line := *content
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line, *content = line[:i], (*content)[i+1:]
			} else {
				*content = nil
			}
			k, v, found := bytes.Cut(line, []byte(" "))
			if !found {
				continue
			}
			if *last != nil && bytes.Compare(k, *last) <= 0 {
				return nil, nil, false, false
			}
			*last = k
			return k, v, true, true
		}
		return nil, nil, false, true
	}
	var lastOld, lastNow []byte
	oldKey, oldValue, oldMore, sorted := next(&old, &lastOld)
	nowKey, nowValue, nowMore, sortedNow := next(&now, &lastNow)
	for sorted && sortedNow && (oldMore || nowMore) {
		switch order := bytes.Compare(oldKey, nowKey); {
		case !nowMore || oldMore && order < 0:
			dels = append(dels, Op{Kind: DelMapEntry, Map: path, Key: string(oldKey)})
			oldKey, oldValue, oldMore, sorted = next(&old, &lastOld)
		case !oldMore || order > 0:
			upserts = append(upserts, Op{Kind: AddMapEntry, Map: path, Key: string(nowKey), Value: sectionOf(nowValue, nowSpares)})
			nowKey, nowValue, nowMore, sortedNow = next(&now, &lastNow)
		default:
			if !sameSection(oldValue, oldSpares, nowValue, nowSpares) {
				upserts = append(upserts, Op{Kind: SetMapEntry, Map: path, Key: string(nowKey), Value: sectionOf(nowValue, nowSpares)})
			}
			oldKey, oldValue, oldMore, sorted = next(&old, &lastOld)
			nowKey, nowValue, nowMore, sortedNow = next(&now, &lastNow)
		}
	}
	return upserts, dels, sorted && sortedNow
}

// sectionOf is section for a map value read from a file.
func sectionOf(value []byte, spares map[string]string) string {
	if s, ok := spares[string(value)]; ok {
		return s
	}
	return string(value)
}

// sameSection reports whether two map values name the same section of the workers, without
// allocating.
func sameSection(old []byte, oldSpares map[string]string, now []byte, nowSpares map[string]string) bool {
	o, oldSpare := oldSpares[string(old)]
	n, nowSpare := nowSpares[string(now)]
	switch {
	case oldSpare && nowSpare:
		return o == n
	case oldSpare:
		return o == string(now)
	case nowSpare:
		return string(old) == n
	}
	return bytes.Equal(old, now)
}

// replaceMapAbove is how many entry changes to one map make it cheaper to load a new version
// of the whole map (prepare, add, commit) than to send them one by one; it also makes a large
// change visible all at once.
const replaceMapAbove = 32

func countChanges(old, now map[string]string) int {
	n := 0
	for k, v := range now {
		if w, ok := old[k]; !ok || w != v {
			n++
		}
	}
	for k := range old {
		if _, ok := now[k]; !ok {
			n++
		}
	}
	return n
}

// mapEntries reads a map file, with each value naming the backend of the workers that serves it.
func mapEntries(content []byte, spares map[string]string) map[string]string {
	entries := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(content))
	for scanner.Scan() {
		if key, value, ok := strings.Cut(scanner.Text(), " "); ok {
			entries[key] = section(value, spares)
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
		var details []string
		for _, r := range p.Reasons {
			details = append(details, r.Detail)
		}
		return "reload: " + strings.Join(details, "; ")
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
	}{{NewCert, "certificates added"}, {CommitCert, "certificates loaded"}, {DelCert, "certificates removed"},
		{CommitCAFile, "CA files loaded"}, {DelCAFile, "CA files removed"},
		{AddCrtListEntry, "crt-list lines added"}, {DelCrtListEntry, "crt-list lines removed"}, {AddServer, "servers added"}, {SetWeight, "weights set"}, {DelServer, "servers removed"},
		{AddMapEntry, "map entries added"}, {SetMapEntry, "map entries changed"}, {DelMapEntry, "map entries removed"}, {ReplaceMap, "maps replaced"}} {
		if counts[c.kind] > 0 {
			parts = append(parts, strconv.Itoa(counts[c.kind])+" "+c.name)
		}
	}
	return "runtime API: " + strings.Join(parts, ", ")
}
