// Package model is the result of a build: the status every Gateway API object should carry and the
// data plane that serves it. It is immutable once built, sorted, and free of HAProxy syntax.
package model

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Model is everything one build decides.
type Model struct {
	GatewayClasses []GatewayClass `json:"gatewayClasses,omitempty"`
	Gateways       []Gateway      `json:"gateways,omitempty"`
	Routes         []Route        `json:"routes,omitempty"`
	DataPlane      DataPlane      `json:"dataPlane"`
}

// GatewayClass is the status of one GatewayClass managed by this controller.
type GatewayClass struct {
	Name       string             `json:"name"`
	Conditions []metav1.Condition `json:"conditions"`
}

// Gateway is the status of one Gateway of a managed class.
type Gateway struct {
	Namespace  string                     `json:"namespace"`
	Name       string                     `json:"name"`
	Addresses  []string                   `json:"addresses,omitempty"`
	Conditions []metav1.Condition         `json:"conditions"`
	Listeners  []gatewayv1.ListenerStatus `json:"listeners,omitempty"`
}

// Route is the status a route gets from this controller: one entry per parentRef naming a managed
// Gateway. Entries written by other controllers are kept by the status writer.
type Route struct {
	Kind      string                        `json:"kind"`
	Namespace string                        `json:"namespace"`
	Name      string                        `json:"name"`
	Parents   []gatewayv1.RouteParentStatus `json:"parents"`
}

// DataPlane is what the proxy serves: sockets with their SNI routing, and backends.
type DataPlane struct {
	Sockets  []Socket  `json:"sockets,omitempty"`
	Backends []Backend `json:"backends,omitempty"`
}

// Socket is one address and port accepting TLS. Hostnames route either to a backend as raw TLS
// (Passthrough) or to a backend after the proxy terminated TLS with Certificates (Terminate).
type Socket struct {
	Address      string        `json:"address"`
	Port         int32         `json:"port"`
	Gateway      string        `json:"gateway"`
	Passthrough  []SNIRoute    `json:"passthrough,omitempty"`
	Terminate    []SNIRoute    `json:"terminate,omitempty"`
	Certificates []Certificate `json:"certificates,omitempty"`
}

// SNIRoute sends a server name to a backend. Hostname is exact ("a.example.com"), a wildcard
// ("*.example.com", one or more labels in front of the suffix) or "*" (any name).
type SNIRoute struct {
	Hostname string    `json:"hostname"`
	Backend  BackendID `json:"backend"`
}

// Certificate is a serving certificate with the server names it answers for. An empty SNIFilter
// means the names in the certificate itself.
type Certificate struct {
	Namespace   string   `json:"namespace"`
	Name        string   `json:"name"`
	SNIFilter   []string `json:"sniFilter,omitempty"`
	Fingerprint string   `json:"fingerprint"`
	CertPEM     []byte   `json:"-"`
	KeyPEM      []byte   `json:"-"`
}

// BackendID names the route rule a backend serves.
type BackendID struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Rule      int    `json:"rule"`
}

// Backend is the set of endpoints of one route rule.
type Backend struct {
	ID      BackendID `json:"id"`
	Servers []Server  `json:"servers,omitempty"`
}

// Server is one ready endpoint. Weight is relative within the backend; 0 takes no new connections.
type Server struct {
	Service string `json:"service"`
	Address string `json:"address"`
	Port    int32  `json:"port"`
	Weight  int32  `json:"weight"`
}
