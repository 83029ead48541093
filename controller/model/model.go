// Package model is the result of a build: the status every Gateway API object should carry and the
// data plane that serves it. It is immutable once built, sorted, and free of HAProxy syntax.
//
// The lists with an entry per route (Routes, Backends, a socket's Passthrough and Terminate) hold
// pointers, and a model shares with the last one every entry a change did not touch: a change
// copies the list (8 bytes an entry) and puts new entries in it, never editing one in place. An
// entry that is the very one of the last model is unchanged, which lets render, plan, status and
// Events pass over it without comparing its fields.
package model

import (
	"cmp"
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Model is everything one build decides.
type Model struct {
	GatewayClasses []GatewayClass `json:"gatewayClasses,omitempty"`
	Gateways       []Gateway      `json:"gateways,omitempty"`
	Routes         []*Route       `json:"routes,omitempty"`
	// BackendTLSPolicies are the status of every BackendTLSPolicy, in namespace/name order.
	BackendTLSPolicies []Policy  `json:"backendTLSPolicies,omitempty"`
	DataPlane          DataPlane `json:"dataPlane"`
	// Services are the per-Gateway Services to publish (address mode "service"), sorted; they are
	// the only ones this controller keeps, so a Gateway's Service goes away with the Gateway.
	Services []GatewayService `json:"services,omitempty"`
	// Rejected are the objects the source refused, carried to the status so a person sees them;
	// only standalone mode has any.
	Rejected []snapshot.Rejected `json:"rejected,omitempty"`
}

// GatewayClass is the status of one GatewayClass managed by this controller.
type GatewayClass struct {
	Name       string             `json:"name"`
	Conditions []metav1.Condition `json:"conditions"`
	// SupportedFeatures are the Gateway API feature names this controller serves, sorted.
	SupportedFeatures []string `json:"supportedFeatures,omitempty"`
}

// Gateway is the status of one Gateway of a managed class.
type Gateway struct {
	Namespace  string                     `json:"namespace"`
	Name       string                     `json:"name"`
	Addresses  []string                   `json:"addresses,omitempty"`
	Conditions []metav1.Condition         `json:"conditions"`
	Listeners  []gatewayv1.ListenerStatus `json:"listeners,omitempty"`
}

// RouteKindOrder is where a model lists the routes of a kind: TLSRoutes, HTTPRoutes, GRPCRoutes,
// then any other kind; each kind's routes by namespace and name.
func RouteKindOrder(kind string) int {
	switch kind {
	case "TLSRoute":
		return 0
	case "HTTPRoute":
		return 1
	case "GRPCRoute":
		return 2
	}
	return 3
}

// Route is the status a route gets from this controller: one entry per parentRef naming a managed
// Gateway. Entries written by other controllers are kept by the status writer.
type Route struct {
	Kind      string                        `json:"kind"`
	Namespace string                        `json:"namespace"`
	Name      string                        `json:"name"`
	Parents   []gatewayv1.RouteParentStatus `json:"parents"`
}

// Policy is the status this controller gives a policy: one entry per Gateway of its whose routes
// use what the policy selects. Entries written by other controllers are kept by the status writer;
// ours the model no longer has are removed.
type Policy struct {
	Namespace string                           `json:"namespace"`
	Name      string                           `json:"name"`
	Ancestors []gatewayv1.PolicyAncestorStatus `json:"ancestors,omitempty"`
}

// DataPlane is what the proxy serves: sockets with their SNI routing, and backends.
type DataPlane struct {
	Sockets  []Socket   `json:"sockets,omitempty"`
	Backends []*Backend `json:"backends,omitempty"`
}

// SocketProtocol is what a socket reads first from a client.
type SocketProtocol string

const (
	// SocketTLS reads a TLS ClientHello and routes on its server name (TLS and HTTPS listeners).
	SocketTLS SocketProtocol = "TLS"
	// SocketHTTP reads plain HTTP requests (HTTP listeners).
	SocketHTTP SocketProtocol = "HTTP"
)

// Socket is one address and port of a Gateway.
//
// A TLS socket routes server names either to a backend as raw TLS (Passthrough), to a backend
// after the proxy terminated TLS with Certificates (Terminate), or, for HTTPS names, to HTTP
// routing after the proxy terminated TLS with HTTPSCertificates. An HTTP socket routes plain HTTP.
// Both route HTTP requests through VirtualHosts.
type Socket struct {
	Address string `json:"address"`
	// Port is the port the proxy binds; ListenerPort the listeners' port, which clients connect
	// to: another behind a Service per Gateway.
	Port         int32          `json:"port"`
	ListenerPort int32          `json:"listenerPort,omitempty"`
	Gateway      string         `json:"gateway"`
	Protocol     SocketProtocol `json:"protocol"`
	Passthrough  []*SNIRoute    `json:"passthrough,omitempty"`
	Terminate    []*SNIRoute    `json:"terminate,omitempty"`
	Certificates []Certificate  `json:"certificates,omitempty"`
	// HTTPS are the server names (exact, wildcard or "*") whose TLS ends at the proxy, which then
	// routes the HTTP requests inside.
	HTTPS             []string      `json:"https,omitempty"`
	HTTPSCertificates []Certificate `json:"httpsCertificates,omitempty"`
	VirtualHosts      []VirtualHost `json:"virtualHosts,omitempty"`
	// Listeners are the hostnames the socket's listeners claim, sorted by hostname. The most
	// specific claim matching a server name (or Host) selects one listener, and only routes
	// attached to it serve that name: a claimed name no route of its listener serves is refused,
	// never passed to a less specific listener's routes.
	Listeners []ListenerClaim `json:"listeners,omitempty"`
}

// ListenerMode is how a listener serves the names it claims.
type ListenerMode string

const (
	ListenerPassthrough ListenerMode = "Passthrough"
	ListenerTerminate   ListenerMode = "Terminate"
	ListenerHTTPS       ListenerMode = "HTTPS"
	ListenerHTTP        ListenerMode = "HTTP"
)

// ListenerClaim is a listener's hostname on its socket: exact, wildcard or "*" (no hostname).
type ListenerClaim struct {
	Listener string       `json:"listener"`
	Hostname string       `json:"hostname"`
	Mode     ListenerMode `json:"mode"`
}

// VirtualHost is the HTTP routing of one request host: exact, wildcard ("*.example.com", one or
// more labels) or "*". The most specific host that matches a request is the only one consulted.
type VirtualHost struct {
	Hostname string `json:"hostname"`
	// Listener is the listener whose routes the host serves: the one its name selects.
	Listener string `json:"listener"`
	// Rules are in precedence order: the first that matches a request takes it.
	Rules []HTTPRule `json:"rules"`
}

// PathMatchType is how an HTTPRule compares the request path.
type PathMatchType string

const (
	PathExact PathMatchType = "Exact"
	// PathPrefix matches whole path segments: "/foo" matches "/foo" and "/foo/bar", not "/foobar".
	PathPrefix PathMatchType = "PathPrefix"
)

// HTTPRule sends the requests it matches to a backend. Every condition given must hold.
type HTTPRule struct {
	PathType PathMatchType `json:"pathType"`
	// Path has no trailing slash, except the root "/".
	Path   string `json:"path"`
	Method string `json:"method,omitempty"`
	// Headers match exactly the whole value of some occurrence of the header (names are
	// case-insensitive).
	Headers []HeaderMatch `json:"headers,omitempty"`
	// QueryParams match exactly the value of the first occurrence of a query parameter (names are
	// case-sensitive).
	QueryParams []QueryParamMatch `json:"queryParams,omitempty"`
	// Filters are the route rule's: every match of a rule shares them.
	Filters *HTTPFilters `json:"filters,omitempty"`
	// Timeouts are the route rule's; nil when it sets none.
	Timeouts *HTTPTimeouts `json:"timeouts,omitempty"`
	// Backend is the route rule's backend, Match the index of the match within the rule: together
	// they name the HTTPRule.
	Backend BackendID `json:"backend"`
	Match   int       `json:"match,omitempty"`
	// HostnameRank is how precisely the route's own hostnames name the virtual host (higher is
	// more precise: an exact name, then longer wildcards): rules of a more precise route come
	// first, whatever their paths.
	HostnameRank int `json:"hostnameRank,omitempty"`
}

// HTTPTimeouts are a route rule's timeouts. Nil is a timeout the rule does not set; zero ("0s") is
// one Gateway API says disables it.
type HTTPTimeouts struct {
	// Request limits the whole exchange with the client, from the request to the response.
	Request *metav1.Duration `json:"request,omitempty"`
	// BackendRequest limits one request to a backend, from sending it to having the response.
	BackendRequest *metav1.Duration `json:"backendRequest,omitempty"`
}

// HeaderMatch is one header a request must carry with exactly this value.
type HeaderMatch struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// QueryParamMatch is one query parameter a request must carry with exactly this value.
type QueryParamMatch struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HTTPFilters change a request on its way to the backend, or its response, or answer it with a
// redirect instead. Nil fields change nothing.
type HTTPFilters struct {
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`
	Redirect        *Redirect       `json:"redirect,omitempty"`
	Rewrite         *Rewrite        `json:"rewrite,omitempty"`
}

// HeaderModifier sets (replacing every occurrence), adds (appending to what is there) and removes
// headers. Names are lower case.
type HeaderModifier struct {
	Set    []HeaderValue `json:"set,omitempty"`
	Add    []HeaderValue `json:"add,omitempty"`
	Remove []string      `json:"remove,omitempty"`
}

// HeaderValue is a header name (lower case) with a value.
type HeaderValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Redirect answers a request with a redirect to the same URL with some parts replaced. Empty
// fields keep the request's (the port: the scheme's well-known port when the scheme changes,
// else the listener's; either is left out of the location when it is the scheme's default).
type Redirect struct {
	Scheme     string        `json:"scheme,omitempty"`
	Hostname   string        `json:"hostname,omitempty"`
	Port       int32         `json:"port,omitempty"`
	Path       *PathModifier `json:"path,omitempty"`
	StatusCode int           `json:"statusCode"`
}

// Rewrite changes the request's host and path before it reaches the backend.
type Rewrite struct {
	Hostname string        `json:"hostname,omitempty"`
	Path     *PathModifier `json:"path,omitempty"`
}

// PathModifier replaces a request's whole path, or the part its PathPrefix match matched.
type PathModifier struct {
	Type  PathModifierType `json:"type"`
	Value string           `json:"value"`
}

// PathModifierType is what part of a path a PathModifier replaces.
type PathModifierType string

const (
	ReplaceFullPath    PathModifierType = "ReplaceFullPath"
	ReplacePrefixMatch PathModifierType = "ReplacePrefixMatch"
)

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
	// Options are the TLS settings of the listener that serves the certificate.
	Options TLSOptions `json:"options,omitzero"`
	CertPEM []byte     `json:"-"`
	// ClientCACertificates is the PEM bundle client certificates are verified against, when
	// Options.ClientVerify is set; Options.ClientCAFingerprint is its hex SHA-256.
	ClientCACertificates []byte `json:"-"`
	KeyPEM               []byte `json:"-"`
}

// TLSOptions are a terminating listener's TLS settings; empty fields keep the proxy's defaults.
// Values are checked names: TLS versions ("TLSv1.3"), OpenSSL cipher and suite names separated by
// ':', ALPN protocol names separated by ','.
type TLSOptions struct {
	MinVersion   string `json:"minVersion,omitempty"`
	MaxVersion   string `json:"maxVersion,omitempty"`
	Ciphers      string `json:"ciphers,omitempty"`
	CipherSuites string `json:"cipherSuites,omitempty"`
	ALPN         string `json:"alpn,omitempty"`
	// ClientVerify asks clients for a certificate: "required" refuses a handshake without a valid
	// one, "optional" also takes one without a certificate or with one that fails verification;
	// "" asks for none. A Gateway sets it per port: the listeners of one socket agree.
	ClientVerify        string `json:"clientVerify,omitempty"`
	ClientCAFingerprint string `json:"clientCAFingerprint,omitempty"`
}

// Client certificate verification modes (TLSOptions.ClientVerify).
const (
	ClientVerifyRequired = "required"
	ClientVerifyOptional = "optional"
)

// Format prints a certificate by name and fingerprint whatever the verb: printing a model never
// shows its PEM, and so never its private key.
func (c Certificate) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{%s/%s %v %s}", c.Namespace, c.Name, c.SNIFilter, c.Fingerprint)
}

// BackendID names the route rule a backend serves.
type BackendID struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Rule      int    `json:"rule"`
}

// CompareBackendIDs is the order of a model's backends: by kind, namespace, name, then rule.
// haproxy.cfg lists route backends in it too.
func CompareBackendIDs(a, b BackendID) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Rule, b.Rule))
}

// Backend is the set of endpoints of one route rule.
type Backend struct {
	ID BackendID `json:"id"`
	// HTTP backends take HTTP requests; the others a byte stream.
	HTTP bool `json:"http,omitempty"`
	// GRPC backends are HTTP backends taking gRPC calls (a GRPCRoute's): the share of calls their
	// unusable backendRefs stand for is answered UNAVAILABLE (HTTP 503), as GRPCRoute asks,
	// instead of 500.
	GRPC bool `json:"grpc,omitempty"`
	// UnresolvedWeight is the weight of the backendRefs of an HTTP rule that could not be used
	// (at least 1 when none could, or the rule has none): that share of the requests gets 500
	// (503 for GRPC), as the spec asks, from a server of its own.
	UnresolvedWeight int32    `json:"unresolvedWeight,omitempty"`
	Servers          []Server `json:"servers,omitempty"`
	// Refs are the Service ports the servers come from, in backendRef order: a change of
	// EndpointSlices resolves the servers again from them, without a build.
	Refs []ServiceRef `json:"refs,omitempty"`
}

// ServiceRef is a usable backendRef: a Service port, by name, and its weight.
type ServiceRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// PortName is the Service port's name, which EndpointSlices name their ports by.
	PortName string `json:"portName,omitempty"`
	Weight   int32  `json:"weight"`
	// TLS is set when a BackendTLSPolicy selects the Service port: the proxy connects to its
	// servers over TLS and verifies them.
	TLS *BackendTLS `json:"tls,omitempty"`
	// ProxyProtocol is the PROXY protocol header the Service port asks for (its appProtocol):
	// every connection to its servers starts with it.
	ProxyProtocol ProxyProtocol `json:"proxyProtocol,omitempty"`
	// HTTP2 is set when the proxy speaks HTTP/2 to the servers of an HTTP route (h2c, or h2 over
	// TLS): always for a GRPCRoute, for an HTTPRoute when the Service port's appProtocol says so
	// (kubernetes.io/h2c).
	HTTP2 bool `json:"http2,omitempty"`
}

// ProxyProtocol is the header a server is sent before the stream.
type ProxyProtocol string

const (
	// NoProxyHeader sends the stream alone.
	NoProxyHeader ProxyProtocol = ""
	// ProxyV2 sends a PROXY protocol v2 header with the client's address.
	ProxyV2 ProxyProtocol = "v2"
	// ProxyV2SSL adds what the proxy learnt of the client's TLS: whether it was TLS, whether a
	// client certificate was presented and verified, and that certificate's subject CN.
	ProxyV2SSL ProxyProtocol = "v2-ssl"
)

// Key is the Service's "namespace/name".
func (r ServiceRef) Key() string { return r.Namespace + "/" + r.Name }

// Server is one ready endpoint. Weight is relative within the backend; 0 takes no new connections.
type Server struct {
	Service string `json:"service,omitempty"`
	Address string `json:"address,omitempty"`
	Port    int32  `json:"port,omitempty"`
	Weight  int32  `json:"weight"`
	// TLS is its ServiceRef's: shared by every server of that Service port, never changed.
	TLS *BackendTLS `json:"tls,omitempty"`
	// ProxyProtocol is its ServiceRef's: the header the server is sent first.
	ProxyProtocol ProxyProtocol `json:"proxyProtocol,omitempty"`
	// HTTP2 is its ServiceRef's: the proxy speaks HTTP/2 to the server.
	HTTP2 bool `json:"http2,omitempty"`
	// Unresolved is the server standing for an HTTP rule's backendRefs that could not be used:
	// the proxy answers 500 (503 in a GRPC backend) in its place. It has no Service, address or port.
	Unresolved bool `json:"unresolved,omitempty"`
}

// BackendTLS is how the proxy opens TLS to a server and verifies it (a BackendTLSPolicy).
type BackendTLS struct {
	// Hostname is the server name the proxy sends (SNI), and the name the server's certificate
	// must be valid for.
	Hostname string `json:"hostname"`
	// CACertificates is the PEM bundle of certificate authorities the server's certificate must
	// chain to; empty with SystemCAs.
	CACertificates []byte `json:"-"`
	// CAFingerprint is the hex SHA-256 of CACertificates: names the bundle in files and output.
	CAFingerprint string `json:"caFingerprint,omitempty"`
	// SystemCAs verifies against the system's trusted roots instead.
	SystemCAs bool `json:"systemCAs,omitempty"`
	// ClientCertificate is the certificate the proxy presents to the server (the spec.tls.backend
	// of the Gateways serving the route); nil for none.
	ClientCertificate *Certificate `json:"clientCertificate,omitempty"`
}

// SameTLS reports whether two servers' TLS settings are equal (nil is plain TCP).
func SameTLS(a, b *BackendTLS) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || a.Hostname == b.Hostname && a.CAFingerprint == b.CAFingerprint && a.SystemCAs == b.SystemCAs &&
		sameClientCertificate(a.ClientCertificate, b.ClientCertificate)
}

func sameClientCertificate(a, b *Certificate) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Namespace == b.Namespace && a.Name == b.Name && a.Fingerprint == b.Fingerprint
}
