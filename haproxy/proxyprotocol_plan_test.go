package haproxy

import (
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// withServerProxy sends every server of the backend at index i a PROXY protocol v2 header, as a
// Service port with appProtocol haproxy-gateway.io/proxy-v2 makes the build do.
func withServerProxy(i int) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		servers := make([]model.Server, len(dp.Backends[i].Servers))
		for j, s := range dp.Backends[i].Servers {
			s.ProxyProtocol = model.ProxyV2
			servers[j] = s
		}
		dp.Backends[i].Servers = servers
	}
}

// Plan tables for servers sent a PROXY protocol v2 header: foo is plane()'s Passthrough route
// (backend 1, server 10.244.1.1:8443), bar its Terminate route (backend 0, server 10.244.0.1:8080).
// HAProxy cannot switch send-proxy-v2 on a running server, so a switch is new servers under new
// names, then the old ones drained: never a reload.
func TestPlanProxyProtocol(t *testing.T) {
	const (
		foo = "tlsroute:default:foo:rule0/foo:10.244.1.1:8443"
		bar = "tlsroute:default:bar:rule0/bar:10.244.0.1:8080"
	)
	caA := caBundle("bar.internal.example.com", "-----BEGIN CERTIFICATE-----\nQ0EtQQ==\n-----END CERTIFICATE-----\n")
	fileA := "/d/certs/ca-" + caA.CAFingerprint[:16] + ".pem"
	runPlanCases(t, []planCase{
		{
			name: "a Passthrough route's Service port switches to proxy-v2: new servers with send-proxy-v2, the old ones drained",
			from: plane(), to: plane(withServerProxy(1)),
			commands: []string{
				"add server " + foo + ":proxy-v2 10.244.1.1:8443 weight 1 send-proxy-v2",
				"set server " + foo + ":proxy-v2 state ready",
				"set server " + foo + " state maint",
				"shutdown sessions server " + foo,
				"del server " + foo,
			},
		},
		{
			name: "a Terminate route's Service port switches to proxy-v2",
			from: plane(), to: plane(withServerProxy(0)),
			commands: []string{
				"add server " + bar + ":proxy-v2 10.244.0.1:8080 weight 1 send-proxy-v2",
				"set server " + bar + ":proxy-v2 state ready",
				"set server " + bar + " state maint",
				"shutdown sessions server " + bar,
				"del server " + bar,
			},
		},
		{
			name: "proxy-v2 switched off: plain servers again",
			from: plane(withServerProxy(0)), to: plane(),
			commands: []string{
				"add server " + bar + " 10.244.0.1:8080 weight 1",
				"set server " + bar + " state ready",
				"set server " + bar + ":proxy-v2 state maint",
				"shutdown sessions server " + bar + ":proxy-v2",
				"del server " + bar + ":proxy-v2",
			},
		},
		{
			name: "endpoint added behind proxy-v2: the new server gets the header too",
			from: plane(withServerProxy(1)), to: plane(fooServers("10.244.1.1", "10.244.1.2"), withServerProxy(1)),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.2:8443:proxy-v2 10.244.1.2:8443 weight 1 send-proxy-v2",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.2:8443:proxy-v2 state ready",
			},
		},
		{
			name: "proxy-v2 on a server re-encrypted to: the header goes before the TLS handshake",
			from: plane(withServerTLS(0, caA)), to: plane(withServerTLS(0, caA), withServerProxy(0)),
			commands: []string{
				"add server " + bar + ":tls-37f4d6850034e3da:proxy-v2 10.244.0.1:8080 weight 1 send-proxy-v2 ssl verify required ca-file " + fileA +
					" sni str(bar.internal.example.com) verifyhost bar.internal.example.com",
				"set server " + bar + ":tls-37f4d6850034e3da:proxy-v2 state ready",
				"set server " + bar + ":tls-37f4d6850034e3da state maint",
				"shutdown sessions server " + bar + ":tls-37f4d6850034e3da",
				"del server " + bar + ":tls-37f4d6850034e3da",
			},
		},
		{
			name: "an HTTP backend's Service port switches to proxy-v2: servers are not in the skeleton, no reload",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.1"), withServerProxy(2)),
			commands: []string{
				"add server httproute:default:web:rule0/web:10.244.2.1:3000:proxy-v2 10.244.2.1:3000 weight 1 send-proxy-v2",
				"set server httproute:default:web:rule0/web:10.244.2.1:3000:proxy-v2 state ready",
				"set server httproute:default:web:rule0/web:10.244.2.1:3000 state maint",
				"shutdown sessions server httproute:default:web:rule0/web:10.244.2.1:3000",
				"del server httproute:default:web:rule0/web:10.244.2.1:3000",
			},
		},
		{
			name: "route added behind proxy-v2: a spare serves it",
			from: plane(), to: plane(withRoute("baz", "baz.example.com", "10.244.2.1"), withServerProxy(2)),
			commands: []string{
				"add server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443:proxy-v2 10.244.2.1:8443 weight 1 send-proxy-v2",
				"set server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443:proxy-v2 state ready",
				"add map /d/maps/" + fileStem(plane().Sockets[0]) + ".sni.map baz.example.com spare:0",
			},
		},
	})
}
