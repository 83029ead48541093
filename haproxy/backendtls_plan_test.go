package haproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// caBundle is BackendTLS verified against a CA bundle, as the build makes it: hostname checked,
// fingerprint the SHA-256 of the bundle.
func caBundle(hostname, pem string) *model.BackendTLS {
	sum := sha256.Sum256([]byte(pem))
	return &model.BackendTLS{Hostname: hostname, CACertificates: []byte(pem), CAFingerprint: hex.EncodeToString(sum[:])}
}

// withServerTLS gives every server of the backend at index i the TLS settings t.
func withServerTLS(i int, t *model.BackendTLS) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		servers := make([]model.Server, len(dp.Backends[i].Servers))
		for j, s := range dp.Backends[i].Servers {
			s.TLS = t
			servers[j] = s
		}
		dp.Backends[i].Servers = servers
	}
}

// Plan tables for servers re-encrypted to (BackendTLSPolicy): bar, the Terminate route of plane(),
// gets TLS to its server at 10.244.0.1:8080.
func TestPlanBackendTLS(t *testing.T) {
	var (
		caA    = caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQQ==\n-----END CERTIFICATE-----\n")
		caB    = caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQg==\n-----END CERTIFICATE-----\n")
		other  = caBundle("other.internal.example.com", string(caA.CACertificates))
		large  = caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\n"+strings.Repeat(strings.Repeat("Q", 64)+"\n", 200)+"-----END CERTIFICATE-----\n")
		system = &model.BackendTLS{Hostname: "bar.internal.example.com", SystemCAs: true}
		sni    = " sni str(bar.internal.example.com) verifyhost bar.internal.example.com"
		fileA  = "/d/certs/ca-" + caA.CAFingerprint[:16] + ".pem"
		fileB  = "/d/certs/ca-" + caB.CAFingerprint[:16] + ".pem"
		bar    = "tlsroute:default:bar:rule0/bar:10.244.0.1:8080"
	)
	barTLS := func(tls *model.BackendTLS) func(*model.DataPlane) { return withServerTLS(0, tls) }
	withClient := &model.BackendTLS{Hostname: caA.Hostname, CACertificates: caA.CACertificates, CAFingerprint: caA.CAFingerprint,
		ClientCertificate: &model.Certificate{Namespace: "default", Name: "gateway-client", Fingerprint: "f1", CertPEM: []byte("client"), KeyPEM: []byte("key")}}
	clientCert := clientCertPath("/d", withClient.ClientCertificate)
	clientSuffix := strings.TrimPrefix(serverName(model.Server{TLS: withClient})[strings.LastIndex(serverName(model.Server{TLS: withClient}), ":")+1:], "tls-")
	runPlanCases(t, []planCase{
		{
			name: "plain server to TLS with a CA bundle: the CA file goes into the store before the server that names it",
			from: plane(), to: plane(barTLS(caA)),
			commands: []string{
				"new ssl ca-file " + fileA,
				"set ssl ca-file " + fileA + " <<",
				"commit ssl ca-file " + fileA,
				"add server " + bar + ":tls-37f4d6850034e3da 10.244.0.1:8080 weight 1 ssl verify required ca-file " + fileA + sni,
				"set server " + bar + ":tls-37f4d6850034e3da state ready",
				"set server " + bar + " state maint",
				"shutdown sessions server " + bar,
				"del server " + bar,
			},
		},
		{
			name: "CA rotated: new servers with the new CA file, the old ones drained, then the old CA file deleted",
			from: plane(barTLS(caA)), to: plane(barTLS(caB)),
			commands: []string{
				"new ssl ca-file " + fileB,
				"set ssl ca-file " + fileB + " <<",
				"commit ssl ca-file " + fileB,
				"add server " + bar + ":tls-d39391702788af6d 10.244.0.1:8080 weight 1 ssl verify required ca-file " + fileB + sni,
				"set server " + bar + ":tls-d39391702788af6d state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
				"del ssl ca-file " + fileA,
			},
		},
		{
			name: "the Gateway's client certificate presented: loaded before the servers that present it, which replace the old",
			from: plane(barTLS(caA)), to: plane(barTLS(withClient), func(dp *model.DataPlane) {
				dp.Backends[0].Refs = []model.ServiceRef{{Namespace: "default", Name: "bar", Weight: 1, TLS: withClient}}
			}),
			commands: []string{
				"new ssl cert " + clientCert,
				"set ssl cert " + clientCert + " <<",
				"commit ssl cert " + clientCert,
				"add server " + bar + ":tls-" + clientSuffix + " 10.244.0.1:8080 weight 1 ssl verify required ca-file " + fileA + sni + " crt " + clientCert,
				"set server " + bar + ":tls-" + clientSuffix + " state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
			},
		},
		{
			name: "CA bundle to the system's roots",
			from: plane(barTLS(caA)), to: plane(barTLS(system)),
			commands: []string{
				"add server " + bar + ":tls-f980d5f78e056981 10.244.0.1:8080 weight 1 ssl verify required ca-file @system-ca" + sni,
				"set server " + bar + ":tls-f980d5f78e056981 state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
				"del ssl ca-file " + fileA,
			},
		},
		{
			name: "hostname changed, same CA: new servers, the CA file stays",
			from: plane(barTLS(caA)), to: plane(barTLS(other)),
			commands: []string{
				"add server " + bar + ":tls-091272a5adf58b03 10.244.0.1:8080 weight 1 ssl verify required ca-file " + fileA +
					" sni str(other.internal.example.com) verifyhost other.internal.example.com",
				"set server " + bar + ":tls-091272a5adf58b03 state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
			},
		},
		{
			name: "endpoint added to a TLS backend: its CA file is in the store already",
			from: plane(barTLS(caA)), to: plane(func(dp *model.DataPlane) {
				dp.Backends[0].Servers = append(dp.Backends[0].Servers, model.Server{Service: "bar", Address: "10.244.0.2", Port: 8080, Weight: 1})
			}, barTLS(caA)),
			commands: []string{
				"add server tlsroute:default:bar:rule0/bar:10.244.0.2:8080:tls-37f4d6850034e3da 10.244.0.2:8080 weight 1 ssl verify required ca-file " + fileA + sni,
				"set server tlsroute:default:bar:rule0/bar:10.244.0.2:8080:tls-37f4d6850034e3da state ready",
			},
		},
		{
			name: "CA rotated back after a runtime change deleted it: loaded again",
			from: plane(barTLS(caA)), via: []model.DataPlane{plane(barTLS(caB))}, to: plane(barTLS(caA)),
			commands: []string{
				"new ssl ca-file " + fileA,
				"set ssl ca-file " + fileA + " <<",
				"commit ssl ca-file " + fileA,
				"add server " + bar + ":tls-37f4d6850034e3da 10.244.0.1:8080 weight 1 ssl verify required ca-file " + fileA + sni,
				"set server " + bar + ":tls-37f4d6850034e3da state ready",
				"set server " + bar + ":tls-d39391702788af6d state maint",
				"shutdown sessions server " + bar + ":tls-d39391702788af6d",
				"del server " + bar + ":tls-d39391702788af6d",
				"del ssl ca-file " + fileB,
			},
		},
		{
			name: "TLS back to plain TCP",
			from: plane(barTLS(caA)), to: plane(),
			commands: []string{
				"add server " + bar + " 10.244.0.1:8080 weight 1",
				"set server " + bar + " state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
				"del ssl ca-file " + fileA,
			},
		},
		{
			name: "an HTTP backend's servers get TLS: servers are not in the skeleton, no reload",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.1"), withServerTLS(2, system)),
			commands: []string{
				"add server httproute:default:web:rule0/web:10.244.2.1:3000:tls-f980d5f78e056981 10.244.2.1:3000 weight 1 ssl verify required ca-file @system-ca" + sni,
				"set server httproute:default:web:rule0/web:10.244.2.1:3000:tls-f980d5f78e056981 state ready",
				"set server httproute:default:web:rule0/web:10.244.2.1:3000 state maint",
				"shutdown sessions server httproute:default:web:rule0/web:10.244.2.1:3000",
				"del server httproute:default:web:rule0/web:10.244.2.1:3000",
			},
		},
		{
			name: "a CA file too large for the runtime API: a reload loads it from the file",
			from: plane(barTLS(caA)), to: plane(barTLS(large)),
			reload: []string{fmt.Sprintf("ca-%s.pem has %d bytes, more than the runtime API takes", large.CAFingerprint[:16], len(large.CACertificates))},
		},
		{
			name: "route added with TLS: a spare serves it, its CA file loaded first",
			from: plane(), to: plane(withRoute("baz", "baz.example.com", "10.244.2.1"), withServerTLS(2, caB)),
			commands: []string{
				"new ssl ca-file " + fileB,
				"set ssl ca-file " + fileB + " <<",
				"commit ssl ca-file " + fileB,
				"add server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443:tls-d39391702788af6d 10.244.2.1:8443 weight 1 ssl verify required ca-file " + fileB + sni,
				"set server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443:tls-d39391702788af6d state ready",
				"add map /d/maps/" + fileStem(plane().Sockets[0]) + ".sni.map baz.example.com spare:0",
			},
		},
	})
}
