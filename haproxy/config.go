// Package haproxy turns a data plane model into HAProxy's terms (frontends, backends, maps,
// crt-lists, certificate files), decides how to move HAProxy from what runs to what is wanted,
// and does it.
package haproxy

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	"github.com/haproxy-gateway/haproxy-gateway/templates"
)

// wildcardDepth is how many labels a wildcard hostname may match in front of its suffix
// ("*.example.com" matches up to this many labels before ".example.com").
const wildcardDepth = 8

// Settings are the parts of the configuration that do not come from Gateway API objects.
type Settings struct {
	// Dir holds haproxy.cfg and the files it names; RunDir holds sockets.
	Dir, RunDir string
	// StatsAddress is where the stats frontend (stats page, /metrics, /healthz) listens; see
	// ListenAddress.
	StatsAddress  string
	HardStopAfter time.Duration
	IdleTimeout   time.Duration
	// DefaultCertificate is the first crt-list entry of every terminating frontend: HAProxy needs
	// one, and strict-sni keeps it from ever being served.
	DefaultCertificate []byte
	// SpareBackends is how many empty backends every configuration declares, so that routes
	// added later are served without a reload. The next reload gives them backends of their own
	// and the pool is full again.
	SpareBackends int
	// HTTPSpareBackends are the same for HTTP route backends (in "mode http"), declared when a
	// socket routes HTTP. The Manager sizes both pools at each reload, each from the route
	// backends of its kind with SpareBackends as the floor (sparePool); there is no flag for it.
	HTTPSpareBackends int
	// StatsAuth, when set, is the user the stats page and /metrics ask for.
	StatsAuth *StatsAuth
}

// Config is everything HAProxy reads: haproxy.cfg and the files it names, by path.
type Config struct {
	Files map[string]File
	// Skeleton is haproxy.cfg without the route backends: the part only a reload can change.
	Skeleton []byte
	// Servers are the server lines of each route backend, by backend name.
	Servers ServerLines
	// Spares are the names of the spare backends, in order: those for TLS routes, then those for
	// HTTP routes (see isHTTPSpare).
	Spares []string
	// Maps, CrtLists and Certs are the paths of each kind of file among Files.
	Maps, CrtLists, Certs map[string]bool
	// CAFiles are the CA files among Files that route servers are verified with, by path, with
	// how many route backends name each (a change of servers adds and drops them one backend at
	// a time, see Config.withServers).
	CAFiles map[string]int
	// TextSecret is set when haproxy.cfg holds a password (StatsAuth): it is written 0600.
	TextSecret bool
	// head, backends and tail are the parts haproxy.cfg and Skeleton are joined from (see
	// assemble); text is haproxy.cfg once Text joined it:
	// a change of servers renders only its backends again.
	head, tail, text []byte
	backends         []*backendBlock
	// headData is what head was rendered from, routers what router.lua was: a render from the
	// same data keeps the text instead of running the template again.
	headData templateData
	routers  []routerSocket
	// inOrder is set when backends are in the model's order (by ID), as the build lists them:
	// then two configurations' blocks are compared by walking both (see changedServers).
	inOrder bool
	// dir is Settings.Dir: server lines name CA files in it; runDir is Settings.RunDir.
	dir, runDir string
	// httpBackends are the HTTP backends map's entries, one per HTTP route backend: a new one
	// needs a spare of their kind.
	httpBackends *sortedLines
	// id tells configurations apart; socketMaps are the TLS sockets' map entries by socket ID,
	// and mapEdits what the render changed in the map files it patched, relative to the
	// configuration editedFrom (see mapedits.go).
	id, editedFrom uint64
	socketMaps     map[string]*socketMaps
	// httpMaps are the HTTP sockets' host, routes and rules map entries by socket ID.
	httpMaps map[string]*httpSocketMaps
	mapEdits map[string][]mapEdit
}

// configIDs numbers configurations.
var configIDs atomic.Uint64

// ServerLine is one server of a backend, as both haproxy.cfg and "add server" write it (see
// appendServerArgs).
type ServerLine struct {
	Name, Address string
	Weight        int32
	// CAFile is set for a server the proxy connects to over TLS: the CA file ("@system-ca" or the
	// path of one of the Config's CAFiles) its certificate must chain to; Hostname is the name
	// sent as SNI and verified in its certificate. Without CAFile the server gets plain TCP.
	CAFile, Hostname string
	// ClientCert is the certificate file (one of the Config's Certs) presented to the server; ""
	// for none.
	ClientCert string
	// Proxy is the PROXY protocol header sent to the server before the stream: the client's
	// address ("send-proxy-v2"), and with it the client's TLS ("send-proxy-v2-ssl-cn").
	Proxy model.ProxyProtocol
	// HTTP2 is set when the proxy speaks HTTP/2 to the server ("proto h2"): h2c, or h2 over TLS.
	HTTP2 bool
}

// File is one file HAProxy reads. Secret files are written 0600.
type File struct {
	data []byte
	// lines are a map file's entries, written out at the first call of Content (see mapfile.go).
	lines  *mapFile
	Secret bool
}

// Content is the file's bytes.
func (f File) Content() []byte {
	if f.lines != nil {
		return f.lines.bytes()
	}
	return f.data
}

// Size is the length of Content, without writing out a map file.
func (f File) Size() int {
	if f.lines != nil {
		return f.lines.size(-1)
	}
	return len(f.data)
}

// SizeAtMost reports whether Content is at most limit bytes long; a map file's lines are counted
// only up to there.
func (f File) SizeAtMost(limit int) bool {
	if f.lines != nil {
		return f.lines.size(limit) <= limit
	}
	return len(f.data) <= limit
}

// sameContent reports whether two files have the same bytes: at once when both are written from
// the same map entries, which a render keeps for a map no change touched; for two map files of
// the same part, entry by entry.
func (f File) sameContent(o File) bool {
	if f.lines != nil && o.lines != nil && f.lines.part == o.lines.part {
		return f.lines.entries.same(o.lines.entries) || f.lines.sameLines(o.lines)
	}
	return bytes.Equal(f.Content(), o.Content())
}

// writeTo writes the file's bytes to w; a map file's line by line (see mapFile.writeTo).
func (f File) writeTo(w io.Writer) error {
	if f.lines != nil {
		return f.lines.writeTo(w)
	}
	_, err := w.Write(f.data)
	return err
}

// Format prints a secret file's size instead of its content (a certificate's private key), so
// that printing a Config never shows it.
func (f File) Format(s fmt.State, verb rune) {
	if f.Secret {
		fmt.Fprintf(s, "{secret, %d bytes}", f.Size())
		return
	}
	fmt.Fprintf(s, "{%q}", f.Content())
}

// Text is haproxy.cfg. It is joined from its parts at the first call: a change of routes writes
// the file from the parts (see writeText) and needs it whole only for a check or a comparison.
// Like the rest of a Config, it is not for concurrent use.
func (c *Config) Text() []byte {
	if c.text == nil {
		c.text = assemble(c.head, c.backends, c.tail)
	}
	return c.text
}

// sameText reports whether two configurations have the same haproxy.cfg, comparing parts: the
// blocks a render reused are the same blocks.
func sameText(a, b *Config) bool {
	if a.text != nil && b.text != nil {
		return bytes.Equal(a.text, b.text)
	}
	if len(a.backends) != len(b.backends) || !bytes.Equal(a.head, b.head) || !bytes.Equal(a.tail, b.tail) {
		return false
	}
	for i, block := range a.backends {
		if block != b.backends[i] && !bytes.Equal(block.text(), b.backends[i].text()) {
			return false
		}
	}
	return true
}

// Equal reports whether two configurations are byte for byte the same.
func (c *Config) Equal(o *Config) bool {
	if c == nil || o == nil {
		return c == o
	}
	if !bytes.Equal(c.Text(), o.Text()) || c.TextSecret != o.TextSecret || len(c.Files) != len(o.Files) {
		return false
	}
	for path, f := range c.Files {
		if g, ok := o.Files[path]; !ok || !f.sameContent(g) || f.Secret != g.Secret {
			return false
		}
	}
	return true
}

// templateData is what templates/haproxy.cfg.tmpl reads.
type templateData struct {
	StatsSocket, StatsAddress string
	HardStopAfter             string
	IdleTimeout               string
	Sockets                   []socketData
	// Spares and HTTPSpares are set for the "spares" part alone.
	Spares, HTTPSpares []string
	// ServesHTTP is true when some socket routes HTTP: the router is loaded, the not-found backend
	// and the frontends answering 500 and 503 (gRPC) are declared.
	ServesHTTP                                     bool
	NotFound                                       string
	RouterLua, UnresolvedSocket, UnavailableSocket string
	// ServerTimeoutRule is serverTimeoutRule, for the HTTP spares.
	ServerTimeoutRule string
	// StatsAuth holds the stats user's name and password, each quoted as one word.
	StatsAuth *StatsAuth
}

type socketData struct {
	Gateway, Address         string
	Port                     int32
	Frontend, Bind           string
	TerminateFrontend        string
	TerminateBackend         string
	TerminateSocket, CrtList string
	// Direct is set on a TLS socket whose listeners are all Terminate listeners: its terminating
	// frontend binds the address itself, without the SNI frontend and the relay before it.
	Direct                 bool
	SNIMaps, TerminateMaps lookupData
	// HTTP sockets serve plain HTTP; HTTPS is set on TLS sockets with names whose HTTP is routed
	// after TLS ends at the proxy.
	HTTP, HTTPS                 bool
	HTTPSFrontend, HTTPSBackend string
	HTTPSSocket, HTTPSCrtList   string
	// VerifyOptions follow "ssl crt-list ..." on the terminating binds: the client certificate
	// errors to let through (AllowInsecureFallback), "" for none.
	VerifyOptions string
	// ClientValidation names the port's client certificate verification (modes and CA bundles)
	// in a comment, so that a change of it changes haproxy.cfg and reloads; "" without any.
	ClientValidation          string
	HostMaps                  lookupData
	HostLookup, SNIHostLookup lookupData
	// RouterID names the socket's routes and rules maps to the router's action; ListenerPort is
	// the port clients connect to, which redirects keep.
	RouterID     string
	ListenerPort int32
	NotFound     string
}

type lookupData struct {
	Exact, Wildcard string
	ExtraLabels     []int
	// From is the variable looked up, To the variable that gets the value found (HTTP lookups).
	From, To string
}

type backendData struct {
	Name    string
	Servers []ServerLine
}

// notFoundBackend answers requests no HTTP route takes.
const notFoundBackend = "http-not-found"

// refused is the SNI map value of a name whose listener has no route for it: the connection is
// closed. No backend has this name (theirs have colons).
const refused = "refused"

// hostClaims are the host map entries of a socket: every listener's hostname (TLS listeners' too,
// so that a Host selects the same listener a server name would) as "<listener>@", then each
// virtual host as "<listener>@<virtual host>". The HTTP frontends split the value: the listener
// must be the one the TLS server name selected (else 421), the virtual host chooses the rules.
func hostClaims(sock model.Socket) mapLines {
	hosts := make(mapLines, 0, len(sock.Listeners)+len(sock.VirtualHosts))
	for _, c := range sock.Listeners {
		hosts.set(c.Hostname, c.Listener+"@")
	}
	for _, vh := range sock.VirtualHosts {
		hosts.set(vh.Hostname, vh.Listener+"@"+vh.Hostname)
	}
	return hosts
}

// terminatesOnly reports whether every listener of a TLS socket terminates TLS for TCP routes.
// Such a port needs no look at the ClientHello before the handshake: its terminating frontend
// binds the address and spares each connection the relay through a unix socket, about a fifth of
// the CPU of a handshake. A listener of another mode added to the port changes haproxy.cfg and
// reloads once, into the shape that serves every mode.
func terminatesOnly(sock model.Socket) bool {
	if sock.Protocol == model.SocketHTTP || len(sock.Listeners) == 0 || len(sock.HTTPS) > 0 {
		return false
	}
	for _, c := range sock.Listeners {
		if c.Mode != model.ListenerTerminate {
			return false
		}
	}
	return true
}

var configTemplate = template.Must(template.New("haproxy.cfg").Parse(templates.HAProxyConfig))

// Render produces the configuration for a data plane. Equal input gives equal bytes.
func Render(dp model.DataPlane, s Settings) (*Config, error) { return renderFrom(nil, dp, s) }

// renderFrom is Render reusing the text of the route backends that did not change since prev
// (nil: none), so a change re-renders what it touched. The result is the same as Render's. Of a
// prev in other folders (the configuration a check renders into its staging folder is the one
// about to be applied) only the blocks that name no file there are reused: the others, its maps
// and its server lines are made afresh.
func renderFrom(prev *Config, dp model.DataPlane, s Settings) (*Config, error) {
	blocksFrom := prev
	if prev != nil && (prev.dir != s.Dir || prev.runDir != s.RunDir) {
		prev = nil
	}
	cfg := &Config{Files: map[string]File{},
		Maps: map[string]bool{}, CrtLists: map[string]bool{}, Certs: map[string]bool{}, CAFiles: map[string]int{},
		dir: s.Dir, runDir: s.RunDir, id: configIDs.Add(1), socketMaps: map[string]*socketMaps{},
		httpMaps: map[string]*httpSocketMaps{}, mapEdits: map[string][]mapEdit{}}
	if prev != nil {
		cfg.editedFrom = prev.id
	}
	statsAddress, _, err := ListenAddress(s.StatsAddress)
	if err != nil {
		return nil, fmt.Errorf("stats address: %w", err)
	}
	data := templateData{
		StatsSocket:       filepath.Join(s.RunDir, "stats.sock"),
		StatsAddress:      statsAddress,
		HardStopAfter:     duration(s.HardStopAfter),
		IdleTimeout:       duration(s.IdleTimeout),
		NotFound:          notFoundBackend,
		ServerTimeoutRule: serverTimeoutRule,
	}
	if s.StatsAuth != nil {
		if err := s.StatsAuth.Validate(); err != nil {
			return nil, err
		}
		data.StatsAuth = &StatsAuth{Username: syntax.Quote(s.StatsAuth.Username), Password: syntax.Quote(s.StatsAuth.Password)}
		cfg.TextSecret = true
	}
	extra := make([]int, wildcardDepth-1)
	var routers []routerSocket
	for _, sock := range dp.Sockets {
		stem := fileStem(sock)
		maps := func(kind string) lookupData {
			return lookupData{
				Exact:       filepath.Join(s.Dir, "maps", stem+"."+kind+".map"),
				Wildcard:    filepath.Join(s.Dir, "maps", stem+"."+kind+"-wildcard.map"),
				ExtraLabels: extra,
			}
		}
		id := strings.ReplaceAll(socketID(sock), "/", ":")
		sd := socketData{
			HTTP:              sock.Protocol == model.SocketHTTP,
			HTTPS:             len(sock.HTTPS) > 0,
			HTTPSFrontend:     "https:" + id,
			HTTPSBackend:      "to-https:" + id,
			HTTPSSocket:       "unix@" + httpsSocketPath(s.RunDir, sock),
			HTTPSCrtList:      filepath.Join(s.Dir, "crt-lists", stem+".https.crtlist"),
			HostMaps:          maps("host"),
			RouterID:          id,
			ListenerPort:      cmp.Or(sock.ListenerPort, sock.Port),
			NotFound:          notFoundBackend,
			Gateway:           sock.Gateway,
			Address:           sock.Address,
			Port:              sock.Port,
			Frontend:          "gateway:" + strings.ReplaceAll(socketID(sock), "/", ":"),
			Bind:              hostPort(sock.Address, sock.Port),
			TerminateFrontend: "terminate:" + strings.ReplaceAll(socketID(sock), "/", ":"),
			TerminateBackend:  "to-terminate:" + strings.ReplaceAll(socketID(sock), "/", ":"),
			TerminateSocket:   "unix@" + terminateSocketPath(s.RunDir, sock),
			CrtList:           filepath.Join(s.Dir, "crt-lists", stem+".crtlist"),
			SNIMaps:           maps("sni"),
			TerminateMaps:     maps("terminate"),
		}
		sd.ClientValidation, sd.VerifyOptions = clientValidation(sock), verifyOptions(sock)
		sd.Direct = terminatesOnly(sock)
		sd.HostLookup, sd.SNIHostLookup = sd.HostMaps, sd.HostMaps
		sd.HostLookup.From, sd.HostLookup.To = "txn.host", "txn.hostclaim"
		sd.SNIHostLookup.From, sd.SNIHostLookup.To = "txn.sni", "txn.sniclaim"
		if sd.HTTP || sd.HTTPS {
			data.ServesHTTP = true
			router := routerSocket{ID: id}
			router.Routes, router.Rules = httpMapPaths(s.Dir, stem)
			entries, edits := httpSocketMapsFrom(prev, sock)
			cfg.httpMaps[socketID(sock)] = entries
			addMaps(cfg, sd.HostMaps, entries.hosts)
			addMap(cfg, router.Routes, entries.routes)
			addMap(cfg, router.Rules, entries.rules)
			if edits != nil {
				noteEdits(cfg, sd.HostMaps, edits.hosts)
				cfg.mapEdits[router.Routes], cfg.mapEdits[router.Rules] = edits.routes, edits.rules
			}
			routers = append(routers, router)
		}
		if sd.HTTP {
			data.Sockets = append(data.Sockets, sd)
			continue
		}
		if sd.HTTPS {
			cfg.Files[sd.HTTPSCrtList] = File{data: addCertificates(cfg, s, sock.HTTPSCertificates)}
			cfg.CrtLists[sd.HTTPSCrtList] = true
		}
		entries, sniEdits, terminateEdits, patched := sniMaps(prev, sock, sd)
		cfg.socketMaps[socketID(sock)] = entries
		if !sd.Direct {
			addMaps(cfg, sd.SNIMaps, entries.sni)
		}
		addMaps(cfg, sd.TerminateMaps, entries.terminate)
		if patched {
			if !sd.Direct {
				noteEdits(cfg, sd.SNIMaps, sniEdits)
			}
			noteEdits(cfg, sd.TerminateMaps, terminateEdits)
		}
		cfg.Files[sd.CrtList] = File{data: addCertificates(cfg, s, sock.Certificates)}
		cfg.CrtLists[sd.CrtList] = true
		data.Sockets = append(data.Sockets, sd)
	}
	httpBackendsMap := filepath.Join(s.Dir, "maps", httpBackendsMapName)
	if data.ServesHTTP {
		data.RouterLua = filepath.Join(s.Dir, "router.lua")
		if lua, ok := prev.routerFile(data.RouterLua, routers); ok {
			cfg.Files[data.RouterLua] = lua
		} else {
			lua, err := renderRouter(httpBackendsMap, routers)
			if err != nil {
				return nil, err
			}
			cfg.Files[data.RouterLua] = File{data: lua}
		}
		cfg.routers = routers
		data.UnresolvedSocket = "unix@" + unresolvedSocketPath(s.RunDir)
		data.UnavailableSocket = "unix@" + unavailableSocketPath(s.RunDir)
	}
	reuse := reusableBlocks(blocksFrom, blocksFrom != prev)
	// A few route backends change at a time: the server lines by name start as the earlier
	// configuration's and follow the blocks that differ, when both list them in the model's order
	// (then every backend still asked for was found).
	cloned := prev != nil && prev.inOrder && prev.Servers.Len() == len(prev.backends)
	set := map[string][]ServerLine{}
	cfg.backends = make([]*backendBlock, 0, len(dp.Backends))
	cfg.inOrder = true
	var rendered []*backendBlock
	reusedLast := false
	for i, b := range dp.Backends {
		block, ok := reuse.find(b)
		if !ok {
			block = renderBackend(b, s.Dir, s.RunDir)
			rendered = append(rendered, block)
		}
		if !ok || !cloned {
			set[block.data.Name] = block.data.Servers
		}
		cfg.addCAFiles(block.caFiles)
		// Most blocks have none, and this loop runs over every route backend: starting a walk
		// over a map, even an empty one, is not free.
		if len(block.clientCerts) > 0 {
			for path, f := range block.clientCerts {
				cfg.Files[path], cfg.Certs[path] = f, true
			}
		}
		cfg.backends = append(cfg.backends, block)
		// Two blocks reused one after the other from a configuration in order are in order: the
		// walk finds them at increasing places. Only the others are compared.
		if i > 0 && !(ok && reusedLast && reuse.inOrder) {
			cfg.inOrder = cfg.inOrder && model.CompareBackendIDs(dp.Backends[i-1].ID, b.ID) < 0
		}
		reusedLast = ok
	}
	gone := reuse.unmatched()
	var httpBackendEdits []mapEdit
	cfg.httpBackends, httpBackendEdits = httpBackendsFrom(prev, dp, rendered, gone)
	if data.ServesHTTP {
		addMap(cfg, httpBackendsMap, *cfg.httpBackends)
		if httpBackendEdits != nil {
			cfg.mapEdits[httpBackendsMap] = httpBackendEdits
		}
	}
	switch {
	case cloned && cfg.inOrder:
		names := make([]string, len(gone))
		for i, block := range gone {
			names[i] = block.data.Name
		}
		cfg.Servers = prev.Servers.with(set, names)
	case cloned:
		all := make(map[string][]ServerLine, len(cfg.backends))
		for _, block := range cfg.backends {
			all[block.data.Name] = block.data.Servers
		}
		cfg.Servers = newServerLines(all)
	default:
		cfg.Servers = newServerLines(set)
	}
	// The spares are the same names and text for the same number of them.
	httpSpares := 0
	if data.ServesHTTP {
		httpSpares = s.HTTPSpareBackends
	}
	if prev != nil && prev.spareCount(false) == s.SpareBackends && prev.spareCount(true) == httpSpares {
		cfg.Spares, cfg.tail = prev.Spares, prev.tail
	} else {
		for i := range s.SpareBackends {
			cfg.Spares = append(cfg.Spares, spareName(i))
		}
		for i := range httpSpares {
			cfg.Spares = append(cfg.Spares, httpSpareName(i))
		}
	}
	if cfg.tail == nil {
		for _, name := range cfg.Spares {
			if isHTTPSpare(name) {
				data.HTTPSpares = append(data.HTTPSpares, name)
			} else {
				data.Spares = append(data.Spares, name)
			}
		}
		if cfg.tail, err = execute(data, "spares"); err != nil {
			return nil, err
		}
	}
	if prev != nil && prev.head != nil && reflect.DeepEqual(prev.headData, data) {
		cfg.head = prev.head
	} else if cfg.head, err = execute(data, "haproxy.cfg"); err != nil {
		return nil, err
	}
	cfg.headData = data
	// Most changes leave the skeleton as it was: keep the one copy instead of joining another.
	if prev != nil && bytes.Equal(cfg.head, prev.head) && bytes.Equal(cfg.tail, prev.tail) {
		cfg.head, cfg.Skeleton = prev.head, prev.Skeleton
	} else {
		cfg.Skeleton = slices.Concat(cfg.head, cfg.tail)
	}
	return cfg, nil
}

// execute runs one of the template's parts: "haproxy.cfg" up to the route backends, or "spares".
func execute(data templateData, part string) ([]byte, error) {
	var text bytes.Buffer
	if err := configTemplate.ExecuteTemplate(&text, part, data); err != nil {
		return nil, fmt.Errorf("render haproxy.cfg: %w", err)
	}
	return text.Bytes(), nil
}

// mapLines are the entries of a map file in the order they were set; where a key is set again,
// the later value stands.
type mapLines []mapLine

type mapLine struct{ key, value string }

func (m *mapLines) set(key, value string) { *m = append(*m, mapLine{key, value}) }

// final sorts the entries by key and keeps the last value set for each. Sorted keys give sorted
// lines: every character a key may hold sorts after the space that ends it.
func (m mapLines) final() mapLines {
	slices.SortStableFunc(m, func(a, b mapLine) int { return strings.Compare(a.key, b.key) })
	out := m[:0]
	for i, e := range m {
		if i+1 < len(m) && m[i+1].key == e.key {
			continue
		}
		out = append(out, e)
	}
	return out
}

// addCertificates writes each certificate with its key as one PEM file and returns the crt-list.
// The default certificate comes first with a filter no client sends, so it is never chosen.
func addCertificates(cfg *Config, s Settings, certs []model.Certificate) []byte {
	defaultPath := filepath.Join(s.Dir, "certs", "default.pem")
	cfg.Files[defaultPath] = File{data: s.DefaultCertificate, Secret: true}
	cfg.Certs[defaultPath] = true
	var list bytes.Buffer
	fmt.Fprintf(&list, "%s %s\n", defaultPath, DefaultCertificateName)
	for _, c := range certs {
		path := filepath.Join(s.Dir, "certs", certFileName(c))
		pem := joinPEM(c.CertPEM, c.KeyPEM)
		cfg.Files[path] = File{data: pem, Secret: true}
		cfg.Certs[path] = true
		fmt.Fprintf(&list, "%s", path)
		if opts := crtListOptions(c.Options, s.Dir); opts != "" {
			fmt.Fprintf(&list, " [%s]", opts)
		}
		if c.Options.ClientVerify != "" {
			// In HAProxy's CA store before the line that names it (see cafiles.go).
			cfg.addCAFiles([]caFile{{path: caFilePath(s.Dir, c.Options.ClientCAFingerprint), content: joinPEM(c.ClientCACertificates)}})
		}
		for _, name := range c.SNIFilter {
			fmt.Fprintf(&list, " %s", name)
		}
		list.WriteString("\n")
	}
	return list.Bytes()
}

func duration(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// DefaultCertificateName is the only name the default certificate's crt-list entry answers to; no
// client sends a name under .invalid (RFC 2606).
const DefaultCertificateName = "default.haproxy-gateway.invalid"

// joinPEM puts certificate and key in one file with no blank line between them: the runtime
// API reads a "set ssl cert" payload up to the first blank line.
func joinPEM(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		for _, line := range bytes.Split(p, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				out = append(append(out, bytes.TrimRight(line, "\r")...), '\n')
			}
		}
	}
	return out
}

// routerFile is c's router.lua at path when c rendered it for routers too.
func (c *Config) routerFile(path string, routers []routerSocket) (File, bool) {
	if c == nil || !slices.Equal(c.routers, routers) {
		return File{}, false
	}
	f, ok := c.Files[path]
	return f, ok
}
