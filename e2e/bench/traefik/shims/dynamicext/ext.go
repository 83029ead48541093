// Package ext stands in for Traefik's dynamic-configuration extension module, which its published
// module zip does not carry. The types are embedded in Traefik's HTTP configuration and routers;
// this build adds no extension fields to them.
package ext

// HTTP is embedded in the HTTP configuration; it adds no fields.
type HTTP struct{}

// Router is embedded in each HTTP router; it adds no fields.
type Router struct{}
