package translate

import corev1 "k8s.io/api/core/v1"

// AppProtocolProxyV2 is the Service port appProtocol that asks the proxy to send a PROXY protocol
// v2 header before the stream, so that the backend sees the client's address. It is this
// project's own value (a domain-prefixed appProtocol, as Kubernetes asks of implementation-specific
// ones), so no other implementation reads it; every other appProtocol is left to whatever
// understands it.
const AppProtocolProxyV2 = "haproxy-gateway.io/proxy-v2"

// sendsProxyV2 reports whether the servers of a Service port get a PROXY protocol v2 header:
// only for exactly AppProtocolProxyV2.
func sendsProxyV2(port corev1.ServicePort) bool {
	return port.AppProtocol != nil && *port.AppProtocol == AppProtocolProxyV2
}
