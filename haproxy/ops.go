package haproxy

import (
	"fmt"
	"io"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// OpKind is one kind of runtime API change.
type OpKind int

const (
	// NewCert creates an empty certificate store for a file HAProxy has not loaded ...
	NewCert OpKind = iota
	// SetCert ... fills it (or replaces a loaded one) in a transaction ...
	SetCert
	// CommitCert ... and makes it live: new handshakes get it, open connections keep theirs.
	CommitCert
	// NewCAFile creates an empty entry in the CA store for a CA file servers are to be verified
	// with ...
	NewCAFile
	// SetCAFile ... fills it in a transaction ...
	SetCAFile
	// CommitCAFile ... and makes it live: servers added from then on can name it.
	CommitCAFile
	// AddCrtListEntry makes a crt-list offer a certificate, with its SNI filters.
	AddCrtListEntry
	// AddServer adds a server (it starts in maintenance) ...
	AddServer
	// EnableServer ... and this puts it into service.
	EnableServer
	SetWeight
	AddMapEntry
	SetMapEntry
	DelMapEntry
	// ReplaceMap loads a new version of a whole map and makes it live at once.
	ReplaceMap
	// DrainServer stops new connections to a server about to be deleted ...
	DrainServer
	// ShutdownSessions ... closes the ones it still has (its endpoint is gone) ...
	ShutdownSessions
	// DelServer ... and removes it.
	DelServer
	// DelCrtListEntry stops offering a certificate ...
	DelCrtListEntry
	// DelCert ... and this frees it once no crt-list uses it.
	DelCert
	// DelCAFile deletes a CA file from the CA store once no server names it.
	DelCAFile
)

// Op is one runtime API command. Plan orders them so that nothing points at what does not exist
// yet: servers are added before map entries, and removed after; CA files before the servers
// that name them, and removed after.
type Op struct {
	Kind            OpKind
	Backend, Server string
	Address         string
	Weight          int32
	// CAFile and Hostname are an added server's TLS settings (see ServerLine); CAFile alone names
	// the CA file of a CA store op, with Payload its content.
	CAFile, Hostname string
	// ClientCert is the certificate an added server is presented (see ServerLine).
	ClientCert string
	// Proxy is an added server's PROXY protocol header (see ServerLine).
	Proxy model.ProxyProtocol
	// HTTP2 is set on an added server the proxy speaks HTTP/2 to (see ServerLine).
	HTTP2           bool
	Map, Key, Value string
	// Entries are the whole content of a replaced map, key to value.
	Entries map[string]string
	// CrtList and Line name a crt-list and one of its lines ("<cert file> [<sni filter> ...]").
	CrtList, Line string
	// Cert is a certificate file; Payload its new content (certificate and key, never logged).
	Cert    string
	Payload []byte
}

// String is the command the op kind sends, for metrics and logs.
func (k OpKind) String() string {
	names := map[OpKind]string{NewCert: "new ssl cert", SetCert: "set ssl cert", CommitCert: "commit ssl cert",
		NewCAFile: "new ssl ca-file", SetCAFile: "set ssl ca-file", CommitCAFile: "commit ssl ca-file", DelCAFile: "del ssl ca-file",
		AddCrtListEntry: "add ssl crt-list", AddServer: "add server", EnableServer: "set server state ready",
		SetWeight: "set server weight", AddMapEntry: "add map", SetMapEntry: "set map", DelMapEntry: "del map",
		ReplaceMap: "prepare/commit map", DrainServer: "set server state maint", ShutdownSessions: "shutdown sessions server",
		DelServer: "del server", DelCrtListEntry: "del ssl crt-list", DelCert: "del ssl cert"}
	if name, ok := names[k]; ok {
		return name
	}
	return fmt.Sprintf("op %d", int(k))
}

// Format prints an op as its command line whatever the verb, so that printing an op, a Plan or
// a Result ("%v", "%+v") never prints a certificate's payload.
func (o Op) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.Command()) }

// Command is the runtime API command line for the op, without its payload.
func (o Op) Command() string {
	switch o.Kind {
	case NewCert:
		return "new ssl cert " + o.Cert
	case SetCert:
		return "set ssl cert " + o.Cert + " <<"
	case CommitCert:
		return "commit ssl cert " + o.Cert
	case AddCrtListEntry:
		return "add ssl crt-list " + o.CrtList + " " + o.Line
	case DelCrtListEntry:
		return "del ssl crt-list " + o.CrtList + " " + strings.Fields(o.Line)[0]
	case DelCert:
		return "del ssl cert " + o.Cert
	case NewCAFile:
		return "new ssl ca-file " + o.CAFile
	case SetCAFile:
		return "set ssl ca-file " + o.CAFile + " <<"
	case CommitCAFile:
		return "commit ssl ca-file " + o.CAFile
	case DelCAFile:
		return "del ssl ca-file " + o.CAFile
	case AddServer:
		return "add server " + o.Backend + "/" + o.Server + " " + o.serverArgs()
	case EnableServer:
		return fmt.Sprintf("set server %s/%s state ready", o.Backend, o.Server)
	case SetWeight:
		return fmt.Sprintf("set server %s/%s weight %d", o.Backend, o.Server, o.Weight)
	case AddMapEntry:
		return fmt.Sprintf("add map %s %s %s", o.Map, o.Key, o.Value)
	case SetMapEntry:
		return fmt.Sprintf("set map %s %s %s", o.Map, o.Key, o.Value)
	case DelMapEntry:
		return fmt.Sprintf("del map %s %s", o.Map, o.Key)
	case ReplaceMap:
		return fmt.Sprintf("prepare map %s; add map @<version> %s <<(%d entries); commit map @<version> %s", o.Map, o.Map, len(o.Entries), o.Map)
	case DrainServer:
		return fmt.Sprintf("set server %s/%s state maint", o.Backend, o.Server)
	case ShutdownSessions:
		return fmt.Sprintf("shutdown sessions server %s/%s", o.Backend, o.Server)
	case DelServer:
		return fmt.Sprintf("del server %s/%s", o.Backend, o.Server)
	}
	return fmt.Sprintf("unknown op %d", o.Kind)
}

// serverArgs is what follows an added server's name: address, weight, PROXY protocol and TLS
// options.
func (o Op) serverArgs() string {
	return string(appendServerArgs(nil, ServerLine{Address: o.Address, Weight: o.Weight, CAFile: o.CAFile, Hostname: o.Hostname, ClientCert: o.ClientCert, Proxy: o.Proxy, HTTP2: o.HTTP2}))
}
