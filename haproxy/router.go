package haproxy

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/haproxy-gateway/haproxy-gateway/templates"
)

// routerSocket is what the Lua router knows of one HTTP socket: the ID haproxy.cfg passes to
// "http-request lua.http-route <ID>", and the paths of its routes and rules maps.
type routerSocket struct{ ID, Routes, Rules string }

var routerTemplate = template.Must(template.New("router.lua").Parse(templates.RouterLua))

// routerData is the template's input: every string already a Lua string literal, so the template
// cannot write a path or an ID unquoted.
type routerData struct {
	BackendsMap string
	Sockets     []routerSocket
}

// renderRouter writes the Lua file that routes the HTTP requests of sockets: one routes map and one
// rules map per socket, and the map from route backend names to backend sections they share.
// Sockets come out sorted by ID, so the same input gives the same file.
func renderRouter(backendsMap string, sockets []routerSocket) ([]byte, error) {
	sorted := slices.SortedFunc(slices.Values(sockets), func(a, b routerSocket) int { return cmp.Compare(a.ID, b.ID) })
	data := routerData{BackendsMap: luaString(backendsMap), Sockets: make([]routerSocket, 0, len(sorted))}
	for i, s := range sorted {
		if i > 0 && sorted[i-1].ID == s.ID {
			return nil, fmt.Errorf("two HTTP sockets have the router ID %s", luaString(s.ID))
		}
		data.Sockets = append(data.Sockets, routerSocket{ID: luaString(s.ID), Routes: luaString(s.Routes), Rules: luaString(s.Rules)})
	}
	var out bytes.Buffer
	if err := routerTemplate.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("render the Lua router: %w", err)
	}
	return out.Bytes(), nil
}

// luaString is s as a double-quoted Lua string literal. Every byte outside printable ASCII is a
// three-digit decimal escape, so a following digit never extends it and no newline, NUL or
// invalid UTF-8 reaches the file.
func luaString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
