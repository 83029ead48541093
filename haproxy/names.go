package haproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Names on the stats page let a person find the Kubernetes object behind each line. Kubernetes
// names never contain ':' or '_', so these names are unambiguous.

func backendName(id model.BackendID) string {
	return lowerKind(id.Kind) + ":" + id.Namespace + ":" + id.Name + ":rule" + strconv.Itoa(id.Rule)
}

// lowerKind is a route kind in lower case; the common kinds without a new string each time.
func lowerKind(kind string) string {
	switch kind {
	case "TLSRoute":
		return "tlsroute"
	case "HTTPRoute":
		return "httproute"
	case "GRPCRoute":
		return "grpcroute"
	}
	return strings.ToLower(kind)
}

// spareName cannot be a route backend's name: those have four parts.
func spareName(i int) string {
	return fmt.Sprintf("spare:%d", i)
}

// httpSpareName names a spare for HTTP route backends.
func httpSpareName(i int) string {
	return fmt.Sprintf("http-spare:%d", i)
}

func isHTTPSpare(name string) bool { return strings.HasPrefix(name, "http-spare:") }

// spareServerName is a server's name in the spare that serves its route backend.
func spareServerName(backend, server string) string {
	return backend + ":" + server
}

// serverName names a server by its Service and endpoint. A server the proxy connects to over TLS
// also carries a hash of its TLS settings: HAProxy cannot change them on a running server, so new
// settings (another CA or hostname) make new servers, added beside the old ones before those are
// drained, and a name never comes back with other settings. The same holds for the PROXY
// protocol header, which HAProxy cannot switch on or off on a running server either: a server
// sent one ends in ":proxy-v2" (":proxy-v2-ssl" with the client's TLS); and for HTTP/2 to the
// server: ":h2".
func serverName(s model.Server) string {
	name := s.Service + ":" + s.Address + ":" + strconv.Itoa(int(s.Port))
	if s.TLS != nil {
		settings := s.TLS.Hostname + " " + caFileOf(s.TLS)
		if c := s.TLS.ClientCertificate; c != nil {
			settings += " " + clientCertPath("", c)
		}
		name += ":tls-" + fileID(settings)
	}
	if s.ProxyProtocol != model.NoProxyHeader {
		name += ":proxy-" + string(s.ProxyProtocol)
	}
	if s.HTTP2 {
		name += ":h2"
	}
	return name
}

func socketID(s model.Socket) string {
	return fmt.Sprintf("%s:%d", s.Gateway, s.Port)
}

// File names come from a bounded hash of what they belong to, never from the names themselves: a
// name may be 253 characters long (a file name may have 255 bytes, a unix socket path 107), and a
// hash has no path separator. haproxy.cfg says in comments which Gateway each file serves.
func fileID(of string) string {
	sum := sha256.Sum256([]byte(of))
	return hex.EncodeToString(sum[:8])
}

// fileStem is a socket's name in file names.
func fileStem(s model.Socket) string {
	return "s" + fileID(socketID(s))
}

// terminateSocketPath is where a socket's Terminate names are terminated.
func terminateSocketPath(runDir string, s model.Socket) string {
	return runDir + "/t" + fileID(socketID(s))[:12] + ".sock"
}

// unresolvedServer is the server of an HTTP route backend that stands for its backendRefs that
// could not be used; it connects to unresolvedSocketPath, where the proxy answers 500, or in a
// GRPC backend to unavailableSocketPath, where it answers 503 (which gRPC clients read as
// UNAVAILABLE).
const unresolvedServer = "unresolved-backendrefs"

func unresolvedSocketPath(runDir string) string { return runDir + "/http-500.sock" }

func unavailableSocketPath(runDir string) string { return runDir + "/http-503.sock" }

// httpsSocketPath is where a socket's HTTPS names are terminated.
func httpsSocketPath(runDir string, s model.Socket) string {
	return runDir + "/h" + fileID(socketID(s))[:12] + ".sock"
}

// certFileName is a Secret's certificate file; the same Secret is one file wherever it is used
// without TLS options. With options, the options and the server names are part of the name, so
// that a crt-list never names one file on two lines (HAProxy deletes a crt-list line by its
// file), and a change of options is a new line of a new file, not an edit of one in use.
func certFileName(c model.Certificate) string {
	if c.Options == (model.TLSOptions{}) {
		return "c" + fileID(c.Namespace+"/"+c.Name) + ".pem"
	}
	return "c" + fileID(c.Namespace+"/"+c.Name+"\x00"+crtListOptions(c.Options, "")+"\x00"+strings.Join(c.SNIFilter, " ")) + ".pem"
}

// caFileName is a CA bundle's file: named by its fingerprint, so a file's name always means the
// same certificates. A fingerprint that is not hex (the build makes it a SHA-256) is hashed again
// rather than put into a file name.
func caFileName(fingerprint string) string {
	if len(fingerprint) < 16 || strings.Trim(fingerprint[:16], "0123456789abcdef") != "" {
		fingerprint = fileID(fingerprint)
	}
	return "ca-" + fingerprint[:16] + ".pem"
}

func hostPort(address string, port int32) string {
	return net.JoinHostPort(address, strconv.Itoa(int(port)))
}
