// Package echobasic runs, in-process, servers that answer the way the Gateway API conformance
// suite's echo-basic image does, so the suite's backend pods can be served without containers.
// A pod's resolved environment picks the mode (HTTP echo by default, gRPC echo with
// GRPC_ECHO_SERVER, TCP echo with TCP_ECHO_SERVER) exactly as the image reads it; files named by the environment (certificates
// and keys) are looked up in the pod's resolved volumes first, so keys need not touch the disk.
package echobasic

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Mode is which of the image's servers a pod's environment selects.
type Mode string

const (
	ModeHTTP Mode = "http"
	ModeTCP  Mode = "tcp"
	ModeGRPC Mode = "grpc"
	// ModeUDP is recognised but not served: the tests that need it (GATEWAY-UDP) are not run here.
	ModeUDP Mode = "udp"
)

// Pod is what the image learns from its environment and mounted files.
type Pod struct {
	// Env is the container's resolved environment.
	Env map[string]string
	// Files maps absolute paths (mount path + item path) to contents, from Secret and ConfigMap
	// volumes. A path not found here is read from the disk.
	Files map[string][]byte
}

// ModeOf applies the image's precedence: gRPC, then TCP, then UDP, else HTTP.
func ModeOf(env map[string]string) Mode {
	switch {
	case env["GRPC_ECHO_SERVER"] != "":
		return ModeGRPC
	case env["TCP_ECHO_SERVER"] != "":
		return ModeTCP
	case env["UDP_ECHO_SERVER"] != "":
		return ModeUDP
	}
	return ModeHTTP
}

// identity is the part of every answer that says where it came from.
type identity struct {
	Namespace string `json:"namespace"`
	Ingress   string `json:"ingress"`
	Service   string `json:"service"`
	Pod       string `json:"pod"`
}

func (p Pod) identity() identity {
	return identity{
		Namespace: p.Env["NAMESPACE"],
		Ingress:   p.Env["INGRESS_NAME"],
		Service:   p.Env["SERVICE_NAME"],
		Pod:       p.Env["POD_NAME"],
	}
}

// port returns the env var's value or the image's default for it.
func (p Pod) port(name, fallback string) string {
	if v := p.Env[name]; v != "" {
		return v
	}
	return fallback
}

func (p Pod) readFile(path string) ([]byte, error) {
	if b, ok := p.Files[path]; ok {
		return b, nil
	}
	return os.ReadFile(path)
}

// keyPair loads the certificate and key the two env vars name, or returns nil when either is unset
// (the image then serves no TLS).
func (p Pod) keyPair(certEnv, keyEnv string) (*tls.Certificate, error) {
	certPath, keyPath := p.Env[certEnv], p.Env[keyEnv]
	if certPath == "" || keyPath == "" {
		return nil, nil
	}
	certPEM, err := p.readFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", certEnv, err)
	}
	keyPEM, err := p.readFile(keyPath)
	if err != nil {
		// The error names the variable, not the file's contents.
		return nil, fmt.Errorf("private key %s: %w", keyEnv, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("key pair from %s and %s: %w", certEnv, keyEnv, err)
	}
	return &pair, nil
}

// clientCAs loads TLS_CLIENT_CACERTS, with which the HTTPS server verifies client certificates
// when clients offer one.
func (p Pod) clientCAs() (*x509.CertPool, error) {
	path := p.Env["TLS_CLIENT_CACERTS"]
	if path == "" {
		return nil, nil
	}
	pemBytes, err := p.readFile(path)
	if err != nil {
		return nil, fmt.Errorf("client CA TLS_CLIENT_CACERTS: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("no certificate in TLS_CLIENT_CACERTS %s", path)
	}
	return pool, nil
}
