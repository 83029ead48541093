package e2e

import (
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// terminateGateway is a Gateway "<name>-gateway" of a class of its own ("<name>"), with one
// Terminate listener on port 8443 for hostname (a fresh certificate for it in a Secret, and the
// listener's TLS options), and a TLSRoute "<name>-route" sending hostname to service:port.
func terminateGateway(t *testing.T, name, hostname, service string, port int32, options map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue) []client.Object {
	t.Helper()
	cert, err := testtls.New(hostname)
	if err != nil {
		t.Fatal(err)
	}
	terminate := gatewayv1.TLSModeTerminate
	host := gatewayv1.Hostname(hostname)
	servicePort := gatewayv1.PortNumber(port)
	return []client.Object{
		&gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: gatewayv1.GatewayClassSpec{ControllerName: controllerName}},
		&corev1.Secret{ObjectMeta: objectMeta("default", name+"-certificate"), Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: cert.CertPEM, corev1.TLSPrivateKeyKey: cert.KeyPEM}},
		&gatewayv1.Gateway{ObjectMeta: objectMeta("default", name+"-gateway"), Spec: gatewayv1.GatewaySpec{
			GatewayClassName: gatewayv1.ObjectName(name),
			Listeners: []gatewayv1.Listener{{Name: "terminate", Protocol: gatewayv1.TLSProtocolType, Port: 8443, Hostname: &host,
				TLS: &gatewayv1.ListenerTLSConfig{Mode: &terminate, Options: options,
					CertificateRefs: []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(name + "-certificate")}}}}},
		}},
		&gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", name+"-route"), Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(name + "-gateway")}}},
			Hostnames:       []gatewayv1.Hostname{host},
			Rules: []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{BackendObjectReference: gatewayv1.BackendObjectReference{
				Name: gatewayv1.ObjectName(service), Port: &servicePort}}}}},
		}},
	}
}
