package haproxy

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// checkConfigLines checks that no string of an object added a line to haproxy.cfg: it has as many
// lines as the same data plane with a plain placeholder for every such string; and that no string
// added an HTTP rule: the rules maps have one entry per rule.
func checkConfigLines(t *testing.T, dp model.DataPlane, cfg *Config, s Settings) {
	t.Helper()
	plain, err := Render(placeholders(dp), s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bytes.Count(cfg.Text(), []byte("\n")), bytes.Count(plain.Text(), []byte("\n")); got != want {
		t.Errorf("haproxy.cfg has %d lines, %d with placeholder names: an input string added lines", got, want)
	}
	for _, sock := range dp.Sockets {
		ids := map[string]bool{}
		for _, vh := range sock.VirtualHosts {
			for _, r := range vh.Rules {
				ids[ruleID(r)] = true
			}
		}
		_, rulesMap := httpMapPaths(s.Dir, fileStem(sock))
		if got := len(fileLines(cfg.Files[rulesMap].Content())); got != len(ids) {
			t.Errorf("socket %s: the rules map has %d entries, want %d", socketID(sock), got, len(ids))
		}
	}
}

// placeholders is the data plane with each string that came from an object (names, hostnames,
// paths, methods, headers) replaced by a plain word, and every count, kind and flag kept.
func placeholders(dp model.DataPlane) model.DataPlane {
	id := func(b model.BackendID) model.BackendID {
		return model.BackendID{Kind: b.Kind, Namespace: "ns", Name: "name", Rule: b.Rule}
	}
	sni := func(routes []*model.SNIRoute) []*model.SNIRoute {
		var out []*model.SNIRoute
		for _, r := range routes {
			out = append(out, &model.SNIRoute{Hostname: "host", Backend: id(r.Backend)})
		}
		return out
	}
	certs := func(certs []model.Certificate) []model.Certificate {
		var out []model.Certificate
		for _, c := range certs {
			c.Namespace, c.Name, c.SNIFilter = "ns", "cert", nil
			out = append(out, c)
		}
		return out
	}
	var out model.DataPlane
	for i, sock := range dp.Sockets {
		p := model.Socket{Address: sock.Address, Port: sock.Port, Gateway: fmt.Sprintf("ns/gateway%d", i), Protocol: sock.Protocol,
			Passthrough: sni(sock.Passthrough), Terminate: sni(sock.Terminate),
			Certificates: certs(sock.Certificates), HTTPSCertificates: certs(sock.HTTPSCertificates)}
		for range sock.HTTPS {
			p.HTTPS = append(p.HTTPS, "host")
		}
		for _, l := range sock.Listeners {
			p.Listeners = append(p.Listeners, model.ListenerClaim{Listener: "listener", Hostname: "host", Mode: l.Mode})
		}
		for _, vh := range sock.VirtualHosts {
			v := model.VirtualHost{Hostname: "host", Listener: "listener"}
			for _, r := range vh.Rules {
				rule := model.HTTPRule{PathType: r.PathType, Path: "/path", Backend: id(r.Backend)}
				if r.Path == "/" {
					rule.Path = "/"
				}
				if r.Method != "" {
					rule.Method = "GET"
				}
				for range r.Headers {
					rule.Headers = append(rule.Headers, model.HeaderMatch{Name: "header", Value: "value"})
				}
				v.Rules = append(v.Rules, rule)
			}
			p.VirtualHosts = append(p.VirtualHosts, v)
		}
		out.Sockets = append(out.Sockets, p)
	}
	for _, b := range dp.Backends {
		p := model.Backend{ID: id(b.ID), HTTP: b.HTTP, UnresolvedWeight: b.UnresolvedWeight}
		for _, srv := range b.Servers {
			if srv.Unresolved {
				p.Servers = append(p.Servers, srv)
				continue
			}
			p.Servers = append(p.Servers, model.Server{Service: "service", Address: "127.0.0.1", Port: 1, Weight: srv.Weight})
		}
		out.Backends = append(out.Backends, &p)
	}
	return out
}
