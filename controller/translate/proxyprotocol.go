package translate

import (
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	corev1 "k8s.io/api/core/v1"
)

// AppProtocolProxyV2 is the Service port appProtocol that asks the proxy to send a PROXY protocol
// v2 header before the stream, so that the backend sees the client's address. It is this
// project's own value (a domain-prefixed appProtocol, as Kubernetes asks of implementation-specific
// ones), so no other implementation reads it; every other appProtocol is left to whatever
// understands it.
const AppProtocolProxyV2 = "haproxy-gateway.io/proxy-v2"

// AppProtocolProxyV2SSL asks for the same header with what the proxy learnt of the client's TLS
// (SSL TLVs): on a terminated connection, whether the client presented a certificate, whether it
// was verified, and its subject's CN, so a backend can tell which client it serves.
const AppProtocolProxyV2SSL = "haproxy-gateway.io/proxy-v2-ssl"

// AppProtocolH2C is the Service port appProtocol (Kubernetes' own) of servers that speak HTTP/2
// without TLS: the proxy sends them HTTP/2 (feature HTTPRouteBackendProtocolH2C).
const AppProtocolH2C = "kubernetes.io/h2c"

// proxyProtocolOf is the header the servers of a Service port get: only for exactly one of the
// values above.
func proxyProtocolOf(port corev1.ServicePort) model.ProxyProtocol {
	switch {
	case port.AppProtocol == nil:
		return model.NoProxyHeader
	case *port.AppProtocol == AppProtocolProxyV2:
		return model.ProxyV2
	case *port.AppProtocol == AppProtocolProxyV2SSL:
		return model.ProxyV2SSL
	}
	return model.NoProxyHeader
}
