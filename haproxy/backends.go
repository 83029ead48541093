package haproxy

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
)

// The route backends are written here rather than by the template: there are as many as route
// rules, each is rendered on its own, and a change of endpoints re-renders only its backends (see
// Config.withServers), so the cost of a change follows its size.

// backendBlock is one route backend's text in haproxy.cfg, and its text in the skeleton: an HTTP
// backend without its servers (rules name it, so only a reload adds or removes it), nothing for a
// TCP one (a spare serves a new one without a reload).
type backendBlock struct {
	data           backendData
	text, skeleton []byte
}

func renderBackend(b backendData) backendBlock {
	block := backendBlock{data: b, text: appendBackend(nil, b, b.Servers)}
	if b.HTTP {
		block.skeleton = appendBackend(nil, b, nil)
	}
	return block
}

// appendBackend writes a backend section with the given servers.
func appendBackend(out []byte, b backendData, servers []ServerLine) []byte {
	out = append(out, "\n# "...)
	out = append(out, b.Route...)
	out = append(out, "\nbackend "...)
	out = append(out, b.Name...)
	if b.HTTP {
		out = append(out, "\n    mode http"+
			"\n    # Requests are short: weighted round robin gives each backendRef its share."+
			"\n    balance roundrobin"...)
		if b.Unresolved {
			out = append(out, "\n    # No backendRef of the rule could be used: the spec asks for 500."+
				"\n    http-request return status 500"...)
		}
	} else {
		out = append(out, "\n    mode tcp"+
			"\n    # Weighted round robin gives each backendRef its share of connections exactly, idle or busy;"+
			"\n    # leastconn would let idle servers tie and alternate, whatever their weights."+
			"\n    balance roundrobin"...)
	}
	for _, s := range servers {
		out = append(out, "\n    server "...)
		out = append(out, s.Name...)
		out = append(out, ' ')
		out = append(out, s.Address...)
		out = append(out, " weight "...)
		out = strconv.AppendInt(out, int64(s.Weight), 10)
	}
	return append(out, '\n')
}

// assemble joins the parts of haproxy.cfg: what the template wrote up to the route backends, the
// route backends (their full text, or their skeleton), and the spares.
func assemble(head []byte, blocks []backendBlock, tail []byte, skeleton bool) []byte {
	size := len(head) + len(tail)
	for _, b := range blocks {
		size += len(b.text)
	}
	var out bytes.Buffer
	out.Grow(size)
	out.Write(head)
	for _, b := range blocks {
		if skeleton {
			out.Write(b.skeleton)
		} else {
			out.Write(b.text)
		}
	}
	out.Write(tail)
	return out.Bytes()
}

// withServers is the configuration with the server lines of some route backends replaced; false
// when one of them is not a route backend of c.
func (c *Config) withServers(servers map[string][]ServerLine) (*Config, bool) {
	out := *c
	out.Servers = maps.Clone(c.Servers)
	out.backends = slices.Clone(c.backends)
	found := 0
	for i, b := range out.backends {
		lines, ok := servers[b.data.Name]
		if !ok {
			continue
		}
		found++
		out.Servers[b.data.Name] = lines
		out.backends[i].data.Servers = lines
		out.backends[i].text = appendBackend(nil, b.data, lines)
	}
	if found != len(servers) {
		return nil, false
	}
	out.Text = assemble(out.head, out.backends, out.tail, false)
	return &out, true
}
