// Package templates holds the HAProxy configuration template. HAProxy syntax lives here and in
// haproxy/; nothing else in the project writes it.
package templates

import _ "embed"

// HAProxyConfig is the text/template for haproxy.cfg; haproxy.Render executes it.
//
//go:embed haproxy.cfg.tmpl
var HAProxyConfig string
