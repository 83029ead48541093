package kubelet

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	pb "sigs.k8s.io/gateway-api-conformance-images/echo-basic/grpcechoserver"
	"sigs.k8s.io/gateway-api/conformance"
	suitek8s "sigs.k8s.io/gateway-api/conformance/utils/kubernetes"
)

const (
	infraNamespace = "gateway-conformance-infra"
	appNamespace   = "gateway-conformance-app-backend"
	webNamespace   = "gateway-conformance-web-backend"
)

// TestSuiteBaseManifestsBecomeReady applies the conformance suite's own base manifests (without the
// Gateways, which need an implementation) and then the TLS Secrets the suite creates after them,
// and expects every pod the suite waits for to become Ready, as the suite's setup requires.
func TestSuiteBaseManifestsBecomeReady(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	raw, err := conformance.Manifests.ReadFile("base/manifests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantPods := map[string]int{}
	for _, obj := range decodeManifests(t, raw) {
		if obj.GetKind() == "Deployment" {
			var d appsv1.Deployment
			toTyped(t, obj, &d)
			wantPods[d.Namespace] += int(ptr.Deref(d.Spec.Replicas, 1))
		}
		e.create(ctx, t, obj)
		if obj.GetKind() == "Namespace" {
			waitDefaultServiceAccount(t, e, obj.GetName())
		}
	}
	for _, ns := range []string{infraNamespace, appNamespace, webNamespace} {
		if wantPods[ns] == 0 {
			t.Fatalf("base manifests have no Deployments in %s", ns)
		}
	}

	// The suite creates its Secrets after the manifests; pods mounting them wait until then.
	caConfigMap, ca, caKey := suitek8s.MustCreateCACertConfigMap(t, infraNamespace, "tls-checks-ca-certificate")
	for _, obj := range []any{
		suitek8s.MustCreateSelfSignedCertSecret(t, webNamespace, "certificate", []string{"*"}),
		suitek8s.MustCreateSelfSignedCertSecret(t, infraNamespace, "tls-validity-checks-certificate", []string{"*", "*.org", "*.wildcard.org"}),
		caConfigMap,
		suitek8s.MustCreateCASignedCertSecret(t, infraNamespace, "tls-checks-certificate", []string{"abc.example.com", "spiffe://abc.example.com/test-identity", "other.example.com"}, ca, caKey),
		suitek8s.MustCreateCASignedCertSecret(t, infraNamespace, "tls-passthrough-checks-certificate", []string{"abc.example.com"}, ca, caKey),
		suitek8s.MustCreateCASignedCertSecret(t, appNamespace, "tls-passthrough-checks-certificate", []string{"abc.example.com"}, ca, caKey),
		suitek8s.MustCreateCASignedCertSecret(t, infraNamespace, "tls-terminate-checks-certificate", []string{"tls.example.com"}, ca, caKey),
	} {
		var err error
		switch o := obj.(type) {
		case *corev1.Secret:
			_, err = e.client.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ConfigMap:
			_, err = e.client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	began := time.Now()
	pods := map[string][]corev1.Pod{}
	for _, ns := range []string{infraNamespace, appNamespace, webNamespace} {
		pods[ns] = e.readyPods(t, ns, "", wantPods[ns], 2*time.Minute-time.Since(began))
	}
	t.Logf("%d, %d and %d pods Ready in %v", len(pods[infraNamespace]), len(pods[appNamespace]), len(pods[webNamespace]), time.Since(began).Round(time.Millisecond))

	caPool := x509.NewCertPool()
	caPool.AppendCertsFromPEM([]byte(caConfigMap.Data["ca.crt"]))
	seen := map[string]bool{}
	checked := map[string]int{}
	for ns, list := range pods {
		for _, p := range list {
			inPodRange(t, p.Status.PodIP)
			if seen[p.Status.PodIP] {
				t.Errorf("address %s given twice", p.Status.PodIP)
			}
			seen[p.Status.PodIP] = true
			app := p.Labels["app"]
			checked[app]++
			switch app {
			case "infra-backend-v1", "web-backend":
				checkHTTPEcho(t, p.Status.PodIP, ns, p.Name)
			case "tls-backend":
				checkHTTPSEcho(t, p.Status.PodIP, caPool, ns, p.Name)
			case "tcp-backend":
				checkTCPEcho(t, p.Status.PodIP, []byte(caConfigMap.Data["ca.crt"]), p.Name)
			case "grpc-infra-backend-v1":
				checkGRPCEcho(t, p.Status.PodIP, caPool, ns, p.Name)
			}
		}
	}
	// Two of each: the spot checks above must have had something to check.
	for _, app := range []string{"infra-backend-v1", "web-backend", "tls-backend", "tcp-backend", "grpc-infra-backend-v1"} {
		if checked[app] != 2 {
			t.Errorf("%d pods of %s, want 2", checked[app], app)
		}
	}
}

// decodeManifests splits a multi-document YAML file into objects, keeping only the kinds that
// need no Gateway API implementation: Namespaces, ConfigMaps, Services and Deployments.
func decodeManifests(t *testing.T, raw []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		switch obj.GetKind() {
		case "Namespace", "ConfigMap", "Service", "Deployment":
			objs = append(objs, obj)
		}
	}
}

func toTyped(t *testing.T, obj *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
}

// create creates one decoded object through the typed client for its kind.
func (e *testEnv) create(ctx context.Context, t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	var err error
	switch obj.GetKind() {
	case "Namespace":
		var o corev1.Namespace
		toTyped(t, obj, &o)
		_, err = e.client.CoreV1().Namespaces().Create(ctx, &o, metav1.CreateOptions{})
	case "ConfigMap":
		var o corev1.ConfigMap
		toTyped(t, obj, &o)
		_, err = e.client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
	case "Service":
		var o corev1.Service
		toTyped(t, obj, &o)
		_, err = e.client.CoreV1().Services(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
	case "Deployment":
		var o appsv1.Deployment
		toTyped(t, obj, &o)
		_, err = e.client.AppsV1().Deployments(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("create %s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
}

// checkHTTPSEcho checks a TLS backend serves the suite's CA-signed certificate and echoes the SNI.
func checkHTTPSEcho(t *testing.T, ip string, ca *x509.CertPool, namespace, pod string) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca, ServerName: "abc.example.com"}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + net.JoinHostPort(ip, "8443") + "/")
	if err != nil {
		t.Errorf("HTTPS to pod %s: %v", pod, err)
		return
	}
	defer resp.Body.Close()
	var echo struct {
		Namespace, Pod, Proto string
		TLS                   *struct{ ServerName string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		t.Errorf("HTTPS echo of pod %s: %v", pod, err)
		return
	}
	if echo.Namespace != namespace || echo.Pod != pod || echo.Proto != "HTTP/2.0" || echo.TLS == nil || echo.TLS.ServerName != "abc.example.com" {
		t.Errorf("HTTPS echo of pod %s = %+v", pod, echo)
	}
}

// checkGRPCEcho calls the gRPC echo over h2c and over TLS with the suite's CA-signed certificate.
func checkGRPCEcho(t *testing.T, ip string, ca *x509.CertPool, namespace, pod string) {
	t.Helper()
	for port, creds := range map[string]credentials.TransportCredentials{
		"3000": insecure.NewCredentials(),
		"8443": credentials.NewTLS(&tls.Config{RootCAs: ca, ServerName: "abc.example.com"}),
	} {
		conn, err := grpc.NewClient(net.JoinHostPort(ip, port), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := pb.NewGrpcEchoClient(conn).Echo(ctx, &pb.EchoRequest{})
		cancel()
		_ = conn.Close()
		if err != nil {
			t.Errorf("gRPC echo of pod %s on %s: %v", pod, port, err)
			continue
		}
		got := resp.GetAssertions().GetContext()
		if got.GetPod() != pod || got.GetNamespace() != namespace || (port == "8443") != (resp.GetAssertions().GetTlsAssertions() != nil) {
			t.Errorf("gRPC echo of pod %s on %s = %v", pod, port, resp.GetAssertions())
		}
	}
}
