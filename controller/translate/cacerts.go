package translate

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// BackendTLSPolicies and Gateways' client certificate validation name their CA certificates the
// same ways: a ConfigMap's ca.crt, or a ClusterTrustBundle's spec.trustBundle. Whatever the
// source, the bundle is checked the way HAProxy loads a CA file.

// caKinds lists the kinds a CA certificate reference may name, for messages.
const caKinds = "core ConfigMap, certificates.k8s.io ClusterTrustBundle"

// caSources are the objects CA certificate references resolve to.
type caSources struct {
	// configMaps are by "namespace/name", trustBundles by name.
	configMaps   map[string]*corev1.ConfigMap
	trustBundles map[string]*certificatesv1.ClusterTrustBundle
	// noTrustBundles says why no ClusterTrustBundle can be read; empty when they can.
	noTrustBundles string
}

func newCASources(s *snapshot.Snapshot) caSources {
	cas := caSources{
		configMaps:     make(map[string]*corev1.ConfigMap, len(s.ConfigMaps)),
		trustBundles:   make(map[string]*certificatesv1.ClusterTrustBundle, len(s.ClusterTrustBundles)),
		noTrustBundles: s.NoClusterTrustBundles,
	}
	for i := range s.ConfigMaps {
		cas.configMaps[s.ConfigMaps[i].Namespace+"/"+s.ConfigMaps[i].Name] = &s.ConfigMaps[i]
	}
	for i := range s.ClusterTrustBundles {
		cas.trustBundles[s.ClusterTrustBundles[i].Name] = &s.ClusterTrustBundles[i]
	}
	return cas
}

// namesConfigMap reports whether a CA certificate reference names a ConfigMap.
func namesConfigMap(group gatewayv1.Group, kind gatewayv1.Kind) bool {
	return (group == "" || group == corev1.GroupName) && kind == "ConfigMap"
}

// unsupportedKind is the message for a reference to a kind no CA bundle is read from.
func unsupportedKind(ref string, group gatewayv1.Group, kind gatewayv1.Kind) string {
	return fmt.Sprintf("caCertificateRef %s: kind %s is not supported; supported: %s",
		ref, strings.TrimPrefix(string(group)+"/"+string(kind), "/"), caKinds)
}

// configMap reads a ConfigMap's ca.crt, or says why it cannot.
func (cas caSources) configMap(namespace, name string) ([]byte, string) {
	cm, ok := cas.configMaps[namespace+"/"+name]
	if !ok {
		return nil, fmt.Sprintf("caCertificateRef %s: ConfigMap not found", name)
	}
	data, ok := cm.Data[snapshot.CACertificateKey]
	if !ok {
		return nil, fmt.Sprintf("caCertificateRef %s: ConfigMap has no key %s", name, snapshot.CACertificateKey)
	}
	pem, err := syntax.CABundle([]byte(data))
	if err != nil {
		return nil, fmt.Sprintf("caCertificateRef %s: %s: %v", name, snapshot.CACertificateKey, err)
	}
	return pem, ""
}

// trustBundle reads a ClusterTrustBundle's spec.trustBundle, or says why it cannot, and whether
// that is because this cluster offers no such kind to read.
func (cas caSources) trustBundle(name string) ([]byte, string, bool) {
	if cas.noTrustBundles != "" {
		return nil, fmt.Sprintf("caCertificateRef %s: ClusterTrustBundles cannot be read: %s", name, cas.noTrustBundles), true
	}
	b, ok := cas.trustBundles[name]
	if !ok {
		return nil, fmt.Sprintf("caCertificateRef %s: ClusterTrustBundle not found", name), false
	}
	pem, err := syntax.CABundle([]byte(b.Spec.TrustBundle))
	if err != nil {
		return nil, fmt.Sprintf("caCertificateRef %s: ClusterTrustBundle spec.trustBundle: %v", name, err), false
	}
	return pem, "", false
}
