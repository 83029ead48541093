package quarantine

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

func route(gateway string, id model.BackendID) Part {
	return Part{Kind: RoutePart, Gateway: gateway, Route: routeOf(id)}
}

var (
	cert2   = Part{Kind: CertificatePart, Gateway: "default/a", Port: 443, Secret: "default/cert-2"}
	socketA = Part{Kind: SocketPart, Gateway: "default/a", Port: 443}
)

func TestParts(t *testing.T) {
	want := []string{
		"HTTPRoute default/web-1 on Gateway default/a",
		"HTTPRoute default/web-2 on Gateway default/a",
		"TLSRoute default/tls-1 on Gateway default/a",
		"TLSRoute default/tls-2 on Gateway default/a",
		"TLSRoute default/tls-1 on Gateway default/b",
		"certificate Secret default/cert-2 on Gateway default/a port 443",
		"Gateway default/a port 80",
		"Gateway default/a port 443",
		"Gateway default/b port 443",
	}
	var got []string
	for _, p := range Parts(fixtureDataPlane()) {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("parts:\n  %q\nwant:\n  %q", got, want)
	}
}

// TestWithout: data plane -> parts left out -> data plane.
func TestWithout(t *testing.T) {
	tests := []struct {
		name string
		out  []Part
		want func(dp *model.DataPlane)
	}{
		{
			name: "an HTTPRoute: its rules, its backend, and a host left without rules",
			out:  []Part{route("default/a", web2)},
			want: func(dp *model.DataPlane) {
				dp.Sockets[0].VirtualHosts = []model.VirtualHost{{Hostname: "web.example.com", Rules: dp.Sockets[0].VirtualHosts[1].Rules[:1]}}
				dp.Backends = slices.Delete(dp.Backends, 1, 2)
			},
		},
		{
			name: "a TLSRoute on one Gateway keeps it, and its backend, on the other",
			out:  []Part{route("default/a", tls1)},
			want: func(dp *model.DataPlane) { dp.Sockets[1].Passthrough = nil },
		},
		{
			name: "a certificate: the names it served stay routed, to no certificate",
			out:  []Part{cert2},
			want: func(dp *model.DataPlane) { dp.Sockets[1].Certificates = nil },
		},
		{
			name: "a socket, and the backends only it sent to",
			out:  []Part{socketA},
			want: func(dp *model.DataPlane) {
				dp.Sockets = slices.Delete(dp.Sockets, 1, 2)
				dp.Backends = slices.Delete(dp.Backends, 3, 4)
			},
		},
		{name: "nothing", want: func(*model.DataPlane) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixtureDataPlane()
			before := jsonOf(t, in)
			want := fixtureDataPlane()
			tt.want(&want)
			if got := Without(in, tt.out); jsonOf(t, got) != jsonOf(t, want) {
				t.Errorf("got:\n%s\nwant:\n%s", jsonOf(t, got), jsonOf(t, want))
			}
			if jsonOf(t, in) != before {
				t.Error("Without changed its input")
			}
		})
	}
}

// TestFingerprint: a part is tried again when what it is changes, not when its endpoints do.
func TestFingerprint(t *testing.T) {
	dp := fixtureDataPlane()
	web := route("default/a", web2)
	tests := []struct {
		name    string
		part    Part
		edit    func(*model.DataPlane)
		changed bool
	}{
		{"route's endpoints", web, func(dp *model.DataPlane) { dp.Backends[1].Servers = nil }, false},
		{"another route's rule", web, func(dp *model.DataPlane) { dp.Sockets[0].VirtualHosts[1].Rules[0].Path = "/two" }, false},
		{"route's header match", web, func(dp *model.DataPlane) { dp.Sockets[0].VirtualHosts[1].Rules[1].Headers[0].Value = "1" }, true},
		{"route's hostname", route("default/b", tls1), func(dp *model.DataPlane) { dp.Sockets[2].Passthrough[0].Hostname = "uno.example.com" }, true},
		{"certificate's content", cert2, func(dp *model.DataPlane) { dp.Sockets[1].Certificates[0].Fingerprint = "f3" }, true},
		{"route on the socket of a certificate", cert2, func(dp *model.DataPlane) { dp.Sockets[1].Passthrough = nil }, false},
		{"socket's address", socketA, func(dp *model.DataPlane) { dp.Sockets[1].Address = "10.250.0.3" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := fixtureDataPlane()
			tt.edit(&edited)
			before, after := Fingerprint(dp, tt.part), Fingerprint(edited, tt.part)
			if before == "" || (before != after) != tt.changed {
				t.Errorf("fingerprint %q -> %q, want changed=%v", before, after, tt.changed)
			}
		})
	}
	if f := Fingerprint(dp, route("default/b", web1)); f != "" {
		t.Errorf("a route not on the Gateway has fingerprint %q", f)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
