package haproxy

import (
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestRuntimePart: running -> wanted whose reload failed -> the runtime commands still sent.
func TestRuntimePart(t *testing.T) {
	sniMap := "/d/maps/" + fileStem(plane().Sockets[0]) + ".sni.map"
	newGateway := func(dp *model.DataPlane) {
		dp.Sockets = append(dp.Sockets, model.Socket{Address: "10.250.0.2", Port: 443, Gateway: "default/other",
			Passthrough: []*model.SNIRoute{{Hostname: "other.example.com", Backend: fooID}}})
	}
	newCertificate := func(dp *model.DataPlane) { dp.Sockets[0].Certificates[0].CertPEM = []byte("cert-2") }
	tests := []struct {
		name     string
		from, to model.DataPlane
		commands []string
	}{
		{
			name: "a new Gateway waits; endpoints of the running one go out",
			from: plane(), to: plane(newGateway, fooServers("10.244.1.2")),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.2:8443 10.244.1.2:8443 weight 1",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.2:8443 state ready",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 state maint",
				"shutdown sessions server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
				"del server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
			},
		},
		{
			name: "a new TLS route on a running socket goes out; a rotated certificate waits",
			from: plane(), to: plane(newGateway, newCertificate, withRoute("baz", "baz.example.com", "10.244.3.1")),
			commands: []string{
				"add server spare:0/tlsroute:default:baz:rule0:baz:10.244.3.1:8443 10.244.3.1:8443 weight 1",
				"set server spare:0/tlsroute:default:baz:rule0:baz:10.244.3.1:8443 state ready",
				"add map " + sniMap + " baz.example.com spare:0",
			},
		},
		{
			name: "with no spare left for new routes, endpoints still go out",
			from: plane(), to: plane(newGateway, fooServers("10.244.1.1", "10.244.1.3"),
				withRoute("a", "a.example.com", "10.244.3.1"), withRoute("b", "b.example.com", "10.244.3.2"), withRoute("c", "c.example.com", "10.244.3.3")),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.3:8443 10.244.1.3:8443 weight 1",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.3:8443 state ready",
			},
		},
		{
			name: "HTTP routing waits; its endpoints go out",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.2"), func(dp *model.DataPlane) {
				dp.Sockets[1].VirtualHosts[0].Rules[0].Path = "/other"
			}),
			commands: []string{
				"add server httproute:default:web:rule0/web:10.244.2.2:3000 10.244.2.2:3000 weight 1",
				"set server httproute:default:web:rule0/web:10.244.2.2:3000 state ready",
				"set server httproute:default:web:rule0/web:10.244.2.1:3000 state maint",
				"shutdown sessions server httproute:default:web:rule0/web:10.244.2.1:3000",
				"del server httproute:default:web:rule0/web:10.244.2.1:3000",
			},
		},
	}
	settings := Settings{Dir: "/d", RunDir: "/r", StatsAddress: "127.0.0.1:8404", SpareBackends: 2}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			running, err := Render(tt.from, settings)
			if err != nil {
				t.Fatal(err)
			}
			p, _, _, err := planRuntimePart(Started(running), tt.from, tt.to, settings)
			if err != nil {
				t.Fatal(err)
			}
			var commands []string
			for _, op := range p.Ops {
				commands = append(commands, op.Command())
			}
			if !slices.Equal(commands, tt.commands) {
				t.Errorf("commands:\n  %s\nwant:\n  %s", strings.Join(commands, "\n  "), strings.Join(tt.commands, "\n  "))
			}
		})
	}
}
