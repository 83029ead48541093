package haproxy

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
			Passthrough:  []*model.SNIRoute{{Hostname: "foo.example.com", Backend: fooID}},
			Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
			Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: []byte("cert-1")}},
		}},
		Backends: []*model.Backend{
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

// withRoute adds a passthrough route on hostname with one server.
func withRoute(name, hostname, address string) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		id := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: name}
		dp.Sockets[0].Passthrough = append(dp.Sockets[0].Passthrough, &model.SNIRoute{Hostname: hostname, Backend: id})
		dp.Backends = append(dp.Backends, &model.Backend{ID: id, Servers: []model.Server{{Service: name, Address: address, Port: 8443, Weight: 1}}})
	}
}

// withHTTP adds an HTTP socket on port 80 with one prefix rule to an HTTPRoute backend.
func withHTTP(addresses ...string) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web"}
		dp.Sockets = append(dp.Sockets, model.Socket{Address: "10.250.0.1", Port: 80, Gateway: "default/gw", Protocol: model.SocketHTTP,
			VirtualHosts: []model.VirtualHost{{Hostname: "web.example.com", Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/app", Backend: id}}}}})
		b := model.Backend{ID: id, HTTP: true}
		for _, a := range addresses {
			b.Servers = append(b.Servers, model.Server{Service: "web", Address: a, Port: 3000, Weight: 1})
		}
		dp.Backends = append(dp.Backends, &b)
	}
}

func TestPlanChange(t *testing.T) {
	// File names are hashes: these are the files of plane()'s socket and certificates.
	stem := fileStem(plane().Sockets[0])
	var (
		sniMap             = "/d/maps/" + stem + ".sni.map"
		terminateMap       = "/d/maps/" + stem + ".terminate.map"
		crtList            = "/d/crt-lists/" + stem + ".crtlist"
		barCert            = "/d/certs/" + certFileName(model.Certificate{Namespace: "default", Name: "bar"})
		bazCert            = "/d/certs/" + certFileName(model.Certificate{Namespace: "default", Name: "baz"})
		barOptions         = model.TLSOptions{MinVersion: "TLSv1.3", ALPN: "h2,http/1.1"}
		barCertWithOptions = "/d/certs/" + certFileName(model.Certificate{Namespace: "default", Name: "bar", Options: barOptions})
		clientOptions      = model.TLSOptions{ClientVerify: model.ClientVerifyRequired, ClientCAFingerprint: "c1a0000000000000000000000000000000000000000000000000000000000000"}
	)
	runPlanCases(t, []planCase{
		{name: "nothing changed", from: plane(), to: plane()},
		{
			name: "HTTP endpoint added: runtime API, like any backend",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.1", "10.244.2.2")),
			commands: []string{
				"add server httproute:default:web:rule0/web:10.244.2.2:3000 10.244.2.2:3000 weight 1",
				"set server httproute:default:web:rule0/web:10.244.2.2:3000 state ready",
			},
		},
		{
			name: "HTTP rule loses its last usable backendRef: its server answering 500 takes all requests",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP(), func(dp *model.DataPlane) {
				dp.Backends[2].UnresolvedWeight = 1
				dp.Backends[2].Servers = []model.Server{{Unresolved: true, Weight: 1}}
			}),
			commands: []string{
				"add server httproute:default:web:rule0/unresolved-backendrefs unix@/r/http-500.sock weight 1",
				"set server httproute:default:web:rule0/unresolved-backendrefs state ready",
				"set server httproute:default:web:rule0/web:10.244.2.1:3000 state maint",
				"shutdown sessions server httproute:default:web:rule0/web:10.244.2.1:3000",
				"del server httproute:default:web:rule0/web:10.244.2.1:3000",
			},
		},
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
			name: "endpoint terminating: it drains, keeping its connections",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Backends[1].Servers[0].Weight = 0 }),
			commands: []string{"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 weight 0"},
		},
		{
			name: "hostname added to an existing backend",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Passthrough = append(dp.Sockets[0].Passthrough, &model.SNIRoute{Hostname: "foo2.example.com", Backend: fooID})
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
				dp.Sockets[0].Terminate = append(dp.Sockets[0].Terminate, &model.SNIRoute{Hostname: "foo.example.com", Backend: fooID})
			}),
			commands: []string{
				"set map " + sniMap + " foo.example.com to-terminate:default:gw:443",
				"add map " + terminateMap + " foo.example.com tlsroute:default:foo:rule0",
			},
		},
		{
			name: "route added to an existing listener: its backend takes a spare",
			from: plane(), to: plane(withRoute("baz", "baz.example.com", "10.244.2.1")),
			commands: []string{
				"add server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443 10.244.2.1:8443 weight 1",
				"set server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443 state ready",
				"add map " + sniMap + " baz.example.com spare:0",
			},
		},
		{
			name: "route added after another took the first spare",
			from: plane(), via: []model.DataPlane{plane(withRoute("baz", "baz.example.com", "10.244.2.1"))},
			to: plane(withRoute("baz", "baz.example.com", "10.244.2.1"), withRoute("qux", "qux.example.com", "10.244.3.1")),
			commands: []string{
				"add server spare:1/tlsroute:default:qux:rule0:qux:10.244.3.1:8443 10.244.3.1:8443 weight 1",
				"set server spare:1/tlsroute:default:qux:rule0:qux:10.244.3.1:8443 state ready",
				"add map " + sniMap + " qux.example.com spare:1",
			},
		},
		{
			name: "more new routes than spares",
			from: plane(), to: plane(withRoute("a", "a.example.com", "10.244.2.1"), withRoute("b", "b.example.com", "10.244.2.2"), withRoute("c", "c.example.com", "10.244.2.3")),
			reload: []string{"3 new route backends, 2 spare backends left"},
		},
		{
			name: "route deleted: its hostname goes first, then its servers",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Passthrough = nil
				dp.Backends = dp.Backends[:1]
			}),
			commands: []string{
				"del map " + sniMap + " foo.example.com",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 state maint",
				"shutdown sessions server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
				"del server tlsroute:default:foo:rule0/foo:10.244.1.1:8443",
			},
		},
		{
			name: "route deleted that a spare served",
			from: plane(), via: []model.DataPlane{plane(withRoute("baz", "baz.example.com", "10.244.2.1"))},
			to: plane(),
			commands: []string{
				"del map " + sniMap + " baz.example.com",
				"set server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443 state maint",
				"shutdown sessions server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443",
				"del server spare:0/tlsroute:default:baz:rule0:baz:10.244.2.1:8443",
			},
		},
		{
			name: "a freed spare serves the next new route",
			from: plane(), via: []model.DataPlane{plane(withRoute("baz", "baz.example.com", "10.244.2.1")), plane()},
			to: plane(withRoute("qux", "qux.example.com", "10.244.3.1")),
			commands: []string{
				"add server spare:0/tlsroute:default:qux:rule0:qux:10.244.3.1:8443 10.244.3.1:8443 weight 1",
				"set server spare:0/tlsroute:default:qux:rule0:qux:10.244.3.1:8443 state ready",
				"add map " + sniMap + " qux.example.com spare:0",
			},
		},
		{
			name: "deleted route comes back to the backend it had at the last reload",
			from: plane(), via: []model.DataPlane{plane(func(dp *model.DataPlane) { dp.Sockets[0].Passthrough, dp.Backends = nil, dp.Backends[:1] })},
			to: plane(),
			commands: []string{
				"add server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 10.244.1.1:8443 weight 1",
				"set server tlsroute:default:foo:rule0/foo:10.244.1.1:8443 state ready",
				"add map " + sniMap + " foo.example.com tlsroute:default:foo:rule0",
			},
		},
		{
			name: "many hostnames at once: the map is replaced whole",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				for i := range replaceMapAbove {
					dp.Sockets[0].Passthrough = append(dp.Sockets[0].Passthrough, &model.SNIRoute{Hostname: fmt.Sprintf("h%02d.example.com", i), Backend: fooID})
				}
			}),
			commands: []string{fmt.Sprintf("prepare map %s; add map @<version> %s <<(%d entries); commit map @<version> %s", sniMap, sniMap, replaceMapAbove+2, sniMap)},
		},
		{
			name: "new port",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets = append(dp.Sockets, model.Socket{Address: "10.250.0.1", Port: 8443, Gateway: "default/gw"})
			}),
			reload: []string{"haproxy.cfg changed beyond route backends"},
		},
		{
			name: "new address",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Sockets[0].Address = "10.250.0.2" }),
			reload: []string{"haproxy.cfg changed beyond route backends"},
		},
		{
			name: "certificate rotated in place",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Sockets[0].Certificates[0].CertPEM = []byte("cert-2") }),
			commands: []string{
				"set ssl cert " + barCert + " <<",
				"commit ssl cert " + barCert,
			},
		},
		{
			name: "new Terminate hostname with its own certificate",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Terminate = append(dp.Sockets[0].Terminate, &model.SNIRoute{Hostname: "baz.example.com", Backend: barID})
				dp.Sockets[0].Certificates = append(dp.Sockets[0].Certificates,
					model.Certificate{Namespace: "default", Name: "baz", SNIFilter: []string{"baz.example.com"}, CertPEM: []byte("baz")})
			}),
			commands: []string{
				"new ssl cert " + bazCert,
				"set ssl cert " + bazCert + " <<",
				"commit ssl cert " + bazCert,
				"add ssl crt-list " + crtList + " " + bazCert + " baz.example.com",
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
				"del ssl crt-list " + crtList + " " + barCert,
				"del ssl cert " + barCert,
			},
		},
		{
			name: "TLS options set on a listener: its certificate under a new file on a new crt-list line",
			from: plane(), to: plane(func(dp *model.DataPlane) { dp.Sockets[0].Certificates[0].Options = barOptions }),
			commands: []string{
				"new ssl cert " + barCertWithOptions,
				"set ssl cert " + barCertWithOptions + " <<",
				"commit ssl cert " + barCertWithOptions,
				"add ssl crt-list " + crtList + " " + barCertWithOptions + " [ssl-min-ver TLSv1.3 alpn h2,http/1.1]",
				"del ssl crt-list " + crtList + " " + barCert,
				"del ssl cert " + barCert,
			},
		},
		{
			name: "client certificates required on a listener: a reload, so no TLS session from before resumes unverified",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Certificates[0].Options = clientOptions
				dp.Sockets[0].Certificates[0].ClientCACertificates = []byte("-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n")
			}),
			reload: []string{"haproxy.cfg changed beyond route backends"},
		},
		{
			// The build never lets such a name through; if it did, the socket would read two commands.
			name: "a map key the runtime socket would split: reload, where haproxy -c checks it",
			from: plane(), to: plane(withRoute("odd", "odd.example.com;shutdown frontend x", "10.244.3.1")),
			reload: []string{`add map: argument "odd.example.com;shutdown" cannot be sent to the runtime API`},
		},
		{
			name: "one certificate on two changed lines of a crt-list",
			from: plane(), to: plane(func(dp *model.DataPlane) {
				dp.Sockets[0].Certificates = []model.Certificate{
					{Namespace: "default", Name: "bar", SNIFilter: []string{"a.example.com"}, CertPEM: []byte("cert-1")},
					{Namespace: "default", Name: "bar", SNIFilter: []string{"b.example.com"}, CertPEM: []byte("cert-1")},
				}
			}),
			reload: []string{filepath.Base(crtList) + " names " + filepath.Base(barCert) + " on several lines"},
		},
	})
	if p := PlanChange(nil, &Config{}); !p.Reload || p.Reasons[0].Kind != FirstConfiguration {
		t.Errorf("first configuration: %+v", p)
	}
}

// planCase is one row of a plan table.
type planCase struct {
	name     string
	from, to model.DataPlane
	// via are data planes applied between from and to, each without a reload.
	via      []model.DataPlane
	commands []string
	reload   []string
}

// planSettings put the files of plan tables under /d.
var planSettings = Settings{Dir: "/d", RunDir: "/r", StatsAddress: "127.0.0.1:8404", SpareBackends: 2, HTTPSpareBackends: 2}

// runPlanCases renders each case's data planes with planSettings and checks the plan from the
// last one applied to the wanted one.
func runPlanCases(t *testing.T, cases []planCase) {
	t.Helper()
	render := func(t *testing.T, dp model.DataPlane) *Config {
		t.Helper()
		cfg, err := Render(dp, planSettings)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			live := Started(render(t, tt.from))
			for i, step := range tt.via {
				cfg := render(t, step)
				p := PlanChange(live, cfg)
				if p.Reload {
					t.Fatalf("step %d reloads: %v", i, p.Reasons)
				}
				live = live.After(p, cfg)
			}
			p := PlanChange(live, render(t, tt.to))
			var commands []string
			for _, op := range p.Ops {
				commands = append(commands, op.Command())
			}
			if !slices.Equal(commands, tt.commands) {
				t.Errorf("commands:\n  %s\nwant:\n  %s", strings.Join(commands, "\n  "), strings.Join(tt.commands, "\n  "))
			}
			var reasons []string
			for _, r := range p.Reasons {
				reasons = append(reasons, r.Detail)
			}
			if !slices.Equal(reasons, tt.reload) || p.Reload != (len(tt.reload) > 0) {
				t.Errorf("reload %v %q, want %q", p.Reload, reasons, tt.reload)
			}
		})
	}
}

// TestChangedServersWalkEqualsMaps checks the walk over both configurations' backend blocks
// against matching their servers by name: random data planes (backends added, dropped, their
// servers changed or kept) rendered from the previous configuration, as the manager does.
func TestChangedServersWalkEqualsMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(prev []*model.Backend) []*model.Backend {
		var out []*model.Backend
		for i := range 12 {
			id := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: fmt.Sprintf("r%02d", i)}
			old := slices.IndexFunc(prev, func(b *model.Backend) bool { return b.ID == id })
			switch {
			case rng.IntN(4) == 0:
				continue // dropped, or never there
			case old >= 0 && rng.IntN(2) == 0:
				out = append(out, prev[old]) // kept as it was
				continue
			}
			b := model.Backend{ID: id}
			for range rng.IntN(3) {
				b.Servers = append(b.Servers, model.Server{Service: "s", Address: fmt.Sprintf("10.0.0.%d", rng.IntN(4)), Port: 80, Weight: 1})
			}
			out = append(out, &b)
		}
		return out
	}
	var running *Config
	var backends []*model.Backend
	for step := range 300 {
		backends = random(backends)
		wanted, err := renderFrom(running, model.DataPlane{Backends: backends}, goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		if running != nil {
			before, after, fresh := changedServers(running, wanted)
			// Out of order, the blocks are matched by name.
			r, w := *running, *wanted
			r.backends, w.backends = slices.Clone(r.backends), slices.Clone(w.backends)
			slices.Reverse(r.backends)
			slices.Reverse(w.backends)
			r.inOrder, w.inOrder = false, false
			wantBefore, wantAfter, wantFresh := changedServers(&r, &w)
			slices.Sort(fresh)
			slices.Sort(wantFresh)
			if diff := cmp.Diff([]any{wantBefore, wantAfter, wantFresh}, []any{before, after, fresh}); diff != "" {
				t.Fatalf("step %d (-maps +walk):\n%s", step, diff)
			}
		}
		running = wanted
	}
}
