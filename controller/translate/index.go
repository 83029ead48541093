package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// index answers the build's lookups into a snapshot.
type index struct {
	grants          []gatewayv1.ReferenceGrant
	services        map[string]*corev1.Service
	slicesByService map[string][]*discoveryv1.EndpointSlice
	secrets         map[string]*corev1.Secret
	namespaceLabels map[string]map[string]string
	cas             caSources
	policies        *backendPolicies
	// conditions are the route parents' condition lists made in this build, by their value (see
	// routeConditions).
	conditions map[[2]metav1.Condition][]metav1.Condition
}

// maxSharedConditions bounds index.conditions: an index outlives its build while the routes' own
// changes reuse it (UpdateRoutes), and each route whose conditions name its own objects adds a
// list of its own.
const maxSharedConditions = 4096

// routeConditions is the condition list of a route parent, accepted then resolved. Most routes
// of a Gateway have the same two, so the build makes each list once and the routes share it: at
// 10,000 routes the lists were a sixth of a build's memory. Like the rest of a result, a list is
// never changed once made (finish and the status writer change copies).
func (in *index) routeConditions(accepted, resolved metav1.Condition) []metav1.Condition {
	key := [2]metav1.Condition{accepted, resolved}
	if list, ok := in.conditions[key]; ok {
		return list
	}
	if in.conditions == nil || len(in.conditions) >= maxSharedConditions {
		in.conditions = map[[2]metav1.Condition][]metav1.Condition{}
	}
	// A list of its own, made only here: one sliced from key would move key to the heap for
	// every route, found or not.
	list := []metav1.Condition{accepted, resolved}
	in.conditions[key] = list
	return list
}

func newIndex(s *snapshot.Snapshot) *index {
	in := &index{
		grants:          s.ReferenceGrants,
		services:        map[string]*corev1.Service{},
		slicesByService: SlicesByService(s.EndpointSlices),
		secrets:         map[string]*corev1.Secret{},
		namespaceLabels: map[string]map[string]string{},
	}
	for i := range s.Services {
		in.services[s.Services[i].Namespace+"/"+s.Services[i].Name] = &s.Services[i]
	}
	for i := range s.Secrets {
		in.secrets[s.Secrets[i].Namespace+"/"+s.Secrets[i].Name] = &s.Secrets[i]
	}
	for i := range s.Namespaces {
		in.namespaceLabels[s.Namespaces[i].Name] = s.Namespaces[i].Labels
	}
	in.cas = newCASources(s)
	if len(s.BackendTLSPolicies) > 0 {
		in.policies = newBackendPolicies(s.BackendTLSPolicies, in.cas)
	}
	return in
}

// SlicesByService groups EndpointSlices by their Service's "namespace/name".
func SlicesByService(endpointSlices []discoveryv1.EndpointSlice) map[string][]*discoveryv1.EndpointSlice {
	out := map[string][]*discoveryv1.EndpointSlice{}
	for i := range endpointSlices {
		slice := &endpointSlices[i]
		if svc := slice.Labels[discoveryv1.LabelServiceName]; svc != "" {
			key := slice.Namespace + "/" + svc
			out[key] = append(out[key], slice)
		}
	}
	return out
}

// certificate reads a kubernetes.io/tls Secret and checks it the way HAProxy will load it.
func (in *index) certificate(namespace, name string) (model.Certificate, error) {
	secret, ok := in.secrets[namespace+"/"+name]
	if !ok {
		return model.Certificate{}, errors.New("Secret not found (only Secrets of type kubernetes.io/tls are read)")
	}
	if secret.Type != corev1.SecretTypeTLS {
		return model.Certificate{}, fmt.Errorf("Secret type is %q, want %q", secret.Type, corev1.SecretTypeTLS)
	}
	certPEM, keyPEM, leaf, err := syntax.Certificate(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return model.Certificate{}, err
	}
	sum := sha256.Sum256(leaf.Raw)
	return model.Certificate{
		Namespace:   namespace,
		Name:        name,
		Fingerprint: hex.EncodeToString(sum[:]),
		CertPEM:     certPEM,
		KeyPEM:      keyPEM,
	}, nil
}
