package haproxy

import (
	"path/filepath"
	"strconv"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A BackendTLSPolicy makes the proxy open TLS to a route backend's servers and verify their
// certificates, against a CA bundle the configuration writes as a file or against the system's
// trusted roots. These are the server lines' TLS options and the CA files they name.

// systemCAs is HAProxy's name for the system's trusted roots where a CA file is expected. HAProxy
// 2.6 loads them into its CA store at start (its HTTP client verifies with them), so a server added
// at runtime can name them; they are no file of the configuration's, and never in its CAFiles.
const systemCAs = "@system-ca"

// caFileOf is the CA file a server's certificate is verified with, without its folder.
func caFileOf(t *model.BackendTLS) string {
	if t.SystemCAs {
		return systemCAs
	}
	return caFileName(t.CAFingerprint)
}

// caFilePath is where a configuration in dir keeps the CA bundle of a fingerprint, beside the
// certificates.
func caFilePath(dir, fingerprint string) string {
	return filepath.Join(dir, "certs", caFileName(fingerprint))
}

// caFile is a CA bundle that server lines name: its path and its content.
type caFile struct {
	path    string
	content []byte
}

// clientCertPath is where a configuration in dir keeps a client certificate presented to servers:
// named by the Secret and its fingerprint, so a rotated certificate is a new file for new servers.
func clientCertPath(dir string, c *model.Certificate) string {
	return filepath.Join(dir, "certs", "b"+fileID(c.Namespace+"/"+c.Name+"\x00"+c.Fingerprint)+".pem")
}

// clientCerts are the client certificates a route backend's servers present, by path, each once:
// like CA files, they follow the servers, so two renders with the same servers agree.
func clientCerts(b model.Backend, dir string) map[string]File {
	var out map[string]File
	for _, srv := range b.Servers {
		if srv.TLS == nil || srv.TLS.ClientCertificate == nil {
			continue
		}
		if out == nil {
			out = map[string]File{}
		}
		c := srv.TLS.ClientCertificate
		out[clientCertPath(dir, c)] = File{data: joinPEM(c.CertPEM, c.KeyPEM), Secret: true}
	}
	return out
}

// serverLines are the server lines of a route backend, and the CA files they name, each once,
// by path; CA files go into dir.
func serverLines(b model.Backend, dir, runDir string) ([]ServerLine, []caFile) {
	var out []ServerLine
	var cas []caFile
	for _, srv := range b.Servers {
		if srv.Unresolved {
			path := unresolvedSocketPath(runDir)
			if b.GRPC {
				path = unavailableSocketPath(runDir)
			}
			out = append(out, ServerLine{Name: unresolvedServer, Address: "unix@" + path, Weight: srv.Weight})
			continue
		}
		line := ServerLine{Name: serverName(srv), Address: hostPort(srv.Address, srv.Port), Weight: srv.Weight, Proxy: srv.ProxyProtocol, HTTP2: srv.HTTP2}
		if srv.TLS != nil {
			line.CAFile, line.Hostname = caFileOf(srv.TLS), srv.TLS.Hostname
			if !srv.TLS.SystemCAs {
				line.CAFile = caFilePath(dir, srv.TLS.CAFingerprint)
				cas = addCAFile(cas, caFile{path: line.CAFile, content: joinPEM(srv.TLS.CACertificates)})
			}
			if c := srv.TLS.ClientCertificate; c != nil {
				line.ClientCert = clientCertPath(dir, c)
			}
		}
		out = append(out, line)
	}
	return out, cas
}

// addCAFile adds a CA file to a list sorted by path, unless the list has it.
func addCAFile(cas []caFile, ca caFile) []caFile {
	i := 0
	for i < len(cas) && cas[i].path < ca.path {
		i++
	}
	if i < len(cas) && cas[i].path == ca.path {
		return cas
	}
	cas = append(cas, caFile{})
	copy(cas[i+1:], cas[i:])
	cas[i] = ca
	return cas
}

// appendServerArgs writes what follows a server's name, in haproxy.cfg and in "add server" alike:
// its address, weight, PROXY protocol and TLS options.
func appendServerArgs(out []byte, s ServerLine) []byte {
	out = append(out, s.Address...)
	out = append(out, " weight "...)
	out = strconv.AppendInt(out, int64(s.Weight), 10)
	// The header goes first on the connection, before a TLS handshake with the server.
	switch s.Proxy {
	case model.ProxyV2:
		out = append(out, " send-proxy-v2"...)
	case model.ProxyV2SSL:
		out = append(out, " send-proxy-v2-ssl-cn"...)
	}
	if s.HTTP2 {
		out = append(out, " proto h2"...)
	}
	if s.CAFile == "" {
		return out
	}
	// HAProxy 2.6 checks the server's certificate against the name it sent as SNI, and reads
	// verifyhost only when it sends none: both carry the hostname, so the certificate is checked
	// for it whichever HAProxy applies.
	out = append(out, " ssl verify required ca-file "...)
	out = append(out, s.CAFile...)
	out = append(out, " sni str("...)
	out = append(out, s.Hostname...)
	out = append(out, ") verifyhost "...)
	out = append(out, s.Hostname...)
	if s.ClientCert != "" {
		out = append(out, " crt "...)
		out = append(out, s.ClientCert...)
	}
	if s.HTTP2 {
		// A TLS server learns from ALPN that HTTP/2 follows.
		out = append(out, " alpn h2"...)
	}
	return out
}
