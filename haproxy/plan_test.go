package haproxy

import (
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Plan tables: data plane A -> data plane B -> exact runtime commands, or a reload and why.

var (
	fooID = model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo"}
	barID = model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar"}
)

// plane is a small data plane: one socket, foo passthrough on foo.example.com, bar terminated
// on bar.example.com, with the given servers.
func plane(edit ...func(*model.DataPlane)) model.DataPlane {
	dp := model.DataPlane{
		Sockets: []model.Socket{{
			Address: "10.250.0.1", Port: 443, Gateway: "default/gw",
			Passthrough:  []model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}},
			Terminate:    []model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
			Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: []byte("cert-1")}},
		}},
		Backends: []model.Backend{
			{ID: barID, Servers: []model.Server{{Service: "bar", Address: "10.244.0.1", Port: 8080, Weight: 1}}},
			{ID: fooID, Servers: []model.Server{{Service: "foo", Address: "10.244.1.1", Port: 8443, Weight: 1}}},
		},
	}
	for _, e := range edit {
		e(&dp)
	}
	return dp
}

func fooServers(addresses ...string) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		var servers []model.Server
		for _, a := range addresses {
			servers = append(servers, model.Server{Service: "foo", Address: a, Port: 8443, Weight: 1})
		}
		dp.Backends[1].Servers = servers
	}
}

func TestPlanChange(t *testing.T) {
	const (
		sniMap       = "/d/maps/default_gw_443.sni.map"
		terminateMap = "/d/maps/default_gw_443.terminate.map"
	)
	tests := []struct {
		name     string
		from, to model.DataPlane
		commands []string
		reload   []string
	}{
		{name: "nothing changed", from: plane(), to: plane()},
		{
			name: "endpoint added",
			from: plane(), to: plane(fooServers("10.244.1.1", "10.244.1.2")),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.2:8443 10.244.1.2:8443 weight 1",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.2:8443 state ready",
			},
		},
		{
			name: "endpoint removed",
			from: plane(fooServers("10.244.1.1", "10.244.1.2")), to: plane(),
			commands: []string{
				"set server tlsroute:default:foo:rule0/foo:10.244.1.2:8443 state maint",
				"shutdown sessions server tlsroute:default:foo:rule0/foo:10.244.1.2:8443",
				"del server tlsroute:default:foo:rule0/foo:10.244.1.2:8443",
			},
		},
		{
			name: "endpoint readdressed: the new one serves before the old one goes",
			from: plane(), to: plane(fooServers("10.244.1.9")),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.9:8443 10.244.1.9:8443 weight 1",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.9:8443 state ready",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 state maint",
				"shutdown sessions server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
				"del server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
			},
		},
		{
			name: "endpoints scaled to zero",
			from: plane(), to: plane(fooServers()),
			commands: []string{
				"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 state maint",
				"shutdown sessions server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
				"del server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
			},
		},
		{
			name: "weight changed",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Backends[1].Servers[0].Weight = 128 }),
			commands: []string{"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 weight 128"},
		},
		{
			name: "hostname added to an existing backend",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Passthrough = append(dp.Sockets[0].Passthrough, model.SNIRoute{Hostname: "foo2.example.com", Backend: fooID})
			}),
			commands: []string{"add map " + sniMap + " foo2.example.com tlsroute:default:foo:rule0"},
		},
		{
			name: "hostname removed",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Sockets[0].Passthrough = nil }),
			commands: []string{"del map " + sniMap + " foo.example.com"},
		},
		{
			name: "hostname moved from passthrough to terminate",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Passthrough = nil
				dp.Sockets[0].Terminate = append(dp.Sockets[0].Terminate, model.SNIRoute{Hostname: "foo.example.com", Backend: fooID})
			}),
			commands: []string{
				"set map " + sniMap + " foo.example.com to-terminate:default:gw:443",
				"add map " + terminateMap + " foo.example.com tlsroute:default:foo:rule0",
			},
		},
		{
			name: "new backend",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Backends = append(dp.Backends, model.Backend{ID: model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "new"}})
			}),
			reload: []string{"haproxy.cfg changed beyond servers"},
		},
		{
			name: "new port",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets = append(dp.Sockets, model.Socket{Address: "10.250.0.1", Port: 8443, Gateway: "default/gw"})
			}),
			reload: []string{"haproxy.cfg changed beyond servers"},
		},
		{
			name: "certificate rotated in place",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Sockets[0].Certificates[0].CertPEM = []byte("cert-2") }),
			commands: []string{
				"set ssl cert /d/certs/default_bar.pem <<",
				"commit ssl cert /d/certs/default_bar.pem",
			},
		},
		{
			name: "new Terminate hostname with its own certificate",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Terminate = append(dp.Sockets[0].Terminate, model.SNIRoute{Hostname: "baz.example.com", Backend: barID})
				dp.Sockets[0].Certificates = append(dp.Sockets[0].Certificates,
					model.Certificate{Namespace: "default", Name: "baz", SNIFilter: []string{"baz.example.com"}, CertPEM: []byte("baz")})
			}),
			commands: []string{
				"new ssl cert /d/certs/default_baz.pem",
				"set ssl cert /d/certs/default_baz.pem <<",
				"commit ssl cert /d/certs/default_baz.pem",
				"add ssl crt-list /d/crt-lists/default_gw_443.crtlist /d/certs/default_baz.pem baz.example.com",
				"add map " + sniMap + " baz.example.com to-terminate:default:gw:443",
				"add map " + terminateMap + " baz.example.com tlsroute:default:bar:rule0",
			},
		},
		{
			name: "Terminate hostname and its certificate removed",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Terminate = nil
				dp.Sockets[0].Certificates = nil
			}),
			commands: []string{
				"del map " + sniMap + " bar.example.com",
				"del map " + terminateMap + " bar.example.com",
				"del ssl crt-list /d/crt-lists/default_gw_443.crtlist /d/certs/default_bar.pem",
				"del ssl cert /d/certs/default_bar.pem",
			},
		},
		{
			name: "one certificate on two changed lines of a crt-list",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Certificates = []model.Certificate{
					{Namespace: "default", Name: "bar", SNIFilter: []string{"a.example.com"}, CertPEM: []byte("cert-1")},
					{Namespace: "default", Name: "bar", SNIFilter: []string{"b.example.com"}, CertPEM: []byte("cert-1")},
				}
			}),
			reload: []string{"default_gw_443.crtlist names default_bar.pem on several lines"},
		},
	}
	settings := Settings{Dir: "/d", RunDir: "/r", StatsAddress: "127.0.0.1:8404"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, err := Render(tt.from, settings)
			if err != nil {
				t.Fatal(err)
			}
			to, err := Render(tt.to, settings)
			if err != nil {
				t.Fatal(err)
			}
			p := PlanChange(from, to)
			var commands []string
			for _, op := range p.Ops {
				commands = append(commands, op.Command())
			}
			if !slices.Equal(commands, tt.commands) {
				t.Errorf("commands:\n  %s\nwant:\n  %s", strings.Join(commands, "\n  "), strings.Join(tt.commands, "\n  "))
			}
			if !slices.Equal(p.Reasons, tt.reload) || p.Reload != (len(tt.reload) > 0) {
				t.Errorf("reload %v %q, want %q", p.Reload, p.Reasons, tt.reload)
			}
		})
	}
	if p := PlanChange(nil, &Config{}); !p.Reload || !slices.Equal(p.Reasons, []string{"first configuration"}) {
		t.Errorf("first configuration: %+v", p)
	}
}
