package bench

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// setUpBackends starts the backends inside the network namespace and creates what the routes of
// every implementation in the run point at: the namespace, the Terminate listeners' Secrets, and
// the Services with their EndpointSlices. It returns the certificates the backends and Secrets
// use.
func (r *rig) setUpBackends() certificates {
	r.t.Helper()
	certs := newCertificates(r.t)
	passthroughTLS, _ := certs.passthrough.TLSCertificate()
	for _, b := range []struct {
		addr string
		tls  bool
	}{{passthroughBackend + ":9443", true}, {plainBackend + ":9080", false}} {
		cert := &passthroughTLS
		if !b.tls {
			cert = nil
		}
		s, err := ListenBackend(b.addr, cert)
		if err != nil {
			r.t.Fatal(err)
		}
		r.t.Cleanup(s.Close)
	}
	httpServer, err := ListenHTTPBackend(httpBackend + ":8080")
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(httpServer.Close)
	r.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		tlsSecret("ecdsa-certificate", certs.ecdsa.CertPEM, certs.ecdsa.KeyPEM),
		tlsSecret("rsa-certificate", certs.rsa.CertPEM, certs.rsa.KeyPEM),
		service("passthrough", "tls", 9443), service("plain", "tcp", 9080), service("endpoints", "tls", 9443),
		service("http", "http", 8080),
		endpointSlice("passthrough", "tls", 9443, passthroughBackend),
		endpointSlice("http", "http", 8080, httpBackend),
		endpointSlice("plain", "tcp", 9080, plainBackend),
		endpointSlice("endpoints", "tls", 9443, passthroughBackend),
	)
	return certs
}
