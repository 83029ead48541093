package haproxy

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
)

// readBack asks the workers for every map (of a large map, the entries changed), backend,
// certificate and CA file the ops touched and compares the answers with the wanted
// configuration. A server that waits for deletion (of leaving) may still be there, in
// maintenance. A difference means the runtime API did not do what it said; the caller then
// reloads from the files.
func (r *runtimeAPI) readBack(ops []Op, wanted *Config, spares map[string]string, leaving leaving) error {
	mapPaths, sections, certs, cas := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var entries []Op
	for _, op := range ops {
		switch op.Kind {
		case AddMapEntry, SetMapEntry, DelMapEntry:
			entries = append(entries, op)
		case ReplaceMap:
			mapPaths[op.Map] = true
		case AddServer, SetWeight, DrainServer, DelServer:
			sections[op.Backend] = true
		case CommitCert:
			certs[op.Cert] = true
		case CommitCAFile, DelCAFile:
			cas[op.CAFile] = true
		}
	}
	// In a large map the entries changed are looked up alone: a map of 10,000 entries takes
	// HAProxy 40 times as long to show whole as to look one entry up. A smaller one is shown
	// whole, which also finds entries changed behind the controller's back.
	small := map[string]bool{}
	for _, op := range entries {
		isSmall, known := small[op.Map]
		if !known {
			// Sized once per map: a map file's size is counted over its entries, up to the limit.
			isSmall = wanted.Files[op.Map].SizeAtMost(showWholeMapBelow)
			small[op.Map] = isSmall
		}
		// "get map" takes no empty key.
		if isSmall || op.Key == "" {
			mapPaths[op.Map] = true
		}
	}
	for _, path := range sortedKeys(mapPaths) {
		got, err := r.showMap(path)
		if err != nil {
			return err
		}
		if want := mapEntries(wanted.Files[path].Content(), spares); !maps.Equal(got, want) {
			return fmt.Errorf("map %s holds %d entries that differ from the %d wanted", path, countChanges(want, got), len(want))
		}
	}
	// The entries looked up alone and the backends' servers are asked for on one connection.
	var lookups []Op
	var commands []string
	for _, op := range entries {
		if !mapPaths[op.Map] {
			lookups = append(lookups, op)
			commands = append(commands, "get map "+op.Map+" "+op.Key)
		}
	}
	backends := sortedKeys(sections)
	for _, backend := range backends {
		commands = append(commands, "show servers state "+backend)
	}
	answers, err := r.answers(commands)
	if err != nil {
		return err
	}
	for i, op := range lookups {
		value, found, err := mapEntryIn(answers[i])
		if err != nil {
			return fmt.Errorf("%s: %w", commands[i], err)
		}
		if wantFound := op.Kind != DelMapEntry; found != wantFound || found && value != op.Value {
			return fmt.Errorf("map %s entry %s is %q (present: %t) after %s", op.Map, op.Key, value, found, op.Kind)
		}
	}
	waiting := leaving.servers()
	routeBackends := map[string]string{} // spare -> the route backend it serves
	for name, spare := range spares {
		routeBackends[spare] = name
	}
	for i, backend := range backends {
		got, err := serversIn(answers[len(lookups)+i], func(s ServerState) bool {
			return !s.Running && holds(waiting, backend, s.Name)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", commands[len(lookups)+i], err)
		}
		name := backend
		if route, ok := routeBackends[backend]; ok {
			name = route
		}
		var want []ServerState
		lines, _ := wanted.Servers.Get(name)
		for _, l := range bySection(map[string][]ServerLine{name: lines}, spares)[backend] {
			want = append(want, shown(l))
		}
		slices.SortFunc(want, func(a, b ServerState) int { return strings.Compare(a.Name, b.Name) })
		if !slices.Equal(got, want) {
			return fmt.Errorf("backend %s has servers %v, want %v", backend, got, want)
		}
	}
	if len(cas) > 0 {
		if err := r.readBackCAFiles(cas, wanted); err != nil {
			return err
		}
	}
	for _, path := range sortedKeys(certs) {
		got, err := r.certSerial(path)
		if err != nil {
			return err
		}
		if want := pemSerial(wanted.Files[path].Content()); got != want {
			return fmt.Errorf("certificate %s has serial %s, want %s", path, got, want)
		}
	}
	return nil
}

// showMap reads a map: "show map" prints one "<id> <key> <value>" line per entry.
func (r *runtimeAPI) showMap(path string) (map[string]string, error) {
	answer, err := r.answer("show map " + path)
	if err != nil {
		return nil, err
	}
	entries := map[string]string{}
	for _, line := range strings.Split(answer, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			entries[f[1]] = f[2]
		}
	}
	return entries, nil
}

// showWholeMapBelow is the size of a map file up to which the read-back shows the whole map
// (about 1,000 entries).
const showWholeMapBelow = 64 << 10

// mapEntryIn reads the answer of "get map": the value found, and whether one was.
func mapEntryIn(answer string) (string, bool, error) {
	if !strings.Contains(answer, "found=yes") {
		return "", false, nil
	}
	_, value, ok := strings.Cut(answer, `value="`)
	if value, _, closed := strings.Cut(value, `"`); ok && closed {
		return value, true, nil
	}
	return "", false, fmt.Errorf("answered %q", answer)
}

// serversIn reads the answer of "show servers state <backend>": its servers but those skip
// reports, sorted by name, with what readBack compares (see shown): name, address, weight and
// whether they use TLS.
func serversIn(answer string, skip func(ServerState) bool) ([]ServerState, error) {
	states, err := ParseServersState(answer)
	if err != nil {
		return nil, err
	}
	servers := make([]ServerState, 0, len(states))
	for _, s := range states {
		if !skip(s) {
			servers = append(servers, ServerState{ServerLine: s.ServerLine, TLS: s.TLS})
		}
	}
	slices.SortFunc(servers, func(a, b ServerState) int { return strings.Compare(a.Name, b.Name) })
	return servers, nil
}

// ServerState is one server line of "show servers state". Of a server's TLS settings it shows
// only whether it has any; their hash is part of the server's name (see serverName). Whether it
// sends a PROXY protocol header it does not show at all: the name's ":proxy-v2" says it.
type ServerState struct {
	Backend string
	ServerLine
	// TLS is true when the proxy connects to the server over TLS.
	TLS bool
	// Running is true when HAProxy sends the server traffic: operational state 2 (running) and
	// administrative state 0 (neither in maintenance nor draining).
	Running bool
}

// shown is what readBack reads back of a server line. HAProxy shows a unix socket's address as
// "-" and its port as 0.
func shown(l ServerLine) ServerState {
	addr := l.Address
	if strings.HasPrefix(addr, "unix@") {
		addr = net.JoinHostPort("-", "0")
	}
	return ServerState{ServerLine: ServerLine{Name: l.Name, Address: addr, Weight: l.Weight}, TLS: l.CAFile != ""}
}

// ParseServersState reads the answer of "show servers state [backend]": its header line names
// the columns, so the parse does not depend on HAProxy's column order. Servers come in HAProxy's
// order.
func ParseServersState(answer string) ([]ServerState, error) {
	column := map[string]int{}
	var servers []ServerState
	for _, line := range strings.Split(answer, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "#" {
			for i, name := range f[1:] {
				column[name] = i
			}
			continue
		}
		if len(column) == 0 {
			continue
		}
		backend, name, addr, port, weight := column["be_name"], column["srv_name"], column["srv_addr"], column["srv_port"], column["srv_uweight"]
		op, admin := column["srv_op_state"], column["srv_admin_state"]
		if len(f) <= max(backend, name, addr, port, weight, op, admin) {
			continue
		}
		var w int32
		if _, err := fmt.Sscan(f[weight], &w); err != nil {
			return nil, fmt.Errorf("server %s: weight %q", f[name], f[weight])
		}
		ssl, hasSSL := column["srv_use_ssl"]
		servers = append(servers, ServerState{
			Backend:    f[backend],
			ServerLine: ServerLine{Name: f[name], Address: net.JoinHostPort(f[addr], f[port]), Weight: w},
			TLS:        hasSSL && ssl < len(f) && f[ssl] == "1",
			Running:    f[op] == "2" && f[admin] == "0",
		})
	}
	if len(column) == 0 {
		return nil, fmt.Errorf("no header in %q", answer)
	}
	return servers, nil
}

// certSerial reads the serial number of the certificate the workers use for a file.
func (r *runtimeAPI) certSerial(path string) (string, error) {
	answer, err := r.answer("show ssl cert " + path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(answer, "\n") {
		if serial, ok := strings.CutPrefix(line, "Serial: "); ok {
			return normalSerial(serial), nil
		}
	}
	return "", fmt.Errorf("show ssl cert %s: no serial", path)
}

// pemSerial is the serial number of the first certificate in a PEM file, as certSerial prints it.
func pemSerial(content []byte) string {
	for rest := content; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return ""
		}
		if block.Type == "CERTIFICATE" {
			if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
				return normalSerial(fmt.Sprintf("%X", cert.SerialNumber))
			}
			return ""
		}
	}
}

// normalSerial is an upper-case hex serial without leading zeros: HAProxy prints the encoded
// bytes, which may start with a zero byte.
func normalSerial(s string) string {
	return strings.TrimLeft(strings.ToUpper(strings.TrimSpace(s)), "0")
}
