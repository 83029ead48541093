package translate

import (
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The API server validates objects against their CRDs, but HAProxy's rules differ from theirs and
// standalone files skip the API server: every string the data plane takes from an object is
// checked here with HAProxy's rules (package syntax) before anything is built from it. A problem
// becomes a condition on the object; other objects are built as usual.

// objectProblem says why an object's namespace or name cannot name things in HAProxy, or "".
func objectProblem(namespace, name string) string {
	if err := syntax.Namespace(namespace); err != nil {
		return err.Error()
	}
	if err := syntax.ObjectName(name); err != nil {
		return err.Error()
	}
	return ""
}

// listenerProblem says why a listener's name, port or hostname cannot be served, or "".
func listenerProblem(l *gatewayv1.Listener) string {
	if err := syntax.ObjectName(string(l.Name)); err != nil {
		return "listener " + err.Error()
	}
	if err := syntax.Port(int32(l.Port)); err != nil {
		return err.Error()
	}
	if l.Hostname != nil && *l.Hostname != "" {
		if err := syntax.Hostname(strings.ToLower(string(*l.Hostname))); err != nil {
			return err.Error()
		}
	}
	return ""
}

// hostnamesProblem says why a route's hostnames cannot be served, or "".
func hostnamesProblem(hostnames []gatewayv1.Hostname) string {
	for _, h := range hostnames {
		if err := syntax.Hostname(strings.ToLower(string(h))); err != nil {
			return err.Error()
		}
	}
	return ""
}
