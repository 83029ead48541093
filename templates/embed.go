// Package templates holds the HAProxy configuration template. HAProxy syntax lives here and in
// haproxy/; nothing else in the project writes it.
package templates

import _ "embed"

// HAProxyConfig is the text/template for haproxy.cfg; haproxy.Render executes it.
//
//go:embed haproxy.cfg.tmpl
var HAProxyConfig string

// RouterLua is the text/template for the Lua file that routes HTTP requests on map files;
// haproxy.renderRouter executes it.
//
//go:embed router.lua.tmpl
var RouterLua string
