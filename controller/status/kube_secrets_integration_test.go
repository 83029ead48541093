package status_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestKubeSourceReadsOnlyTLSSecrets creates an Opaque Secret and a kubernetes.io/tls one beside
// a running Kube source: the Opaque one never reaches the process (no byte of it in any API
// response), is not in the cache or a snapshot, and neither its creation, change nor deletion
// asks for a rebuild; the TLS one, which a Gateway names, does all of that.
func TestKubeSourceReadsOnlyTLSSecrets(t *testing.T) {
	c := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "secrets"
	// The Opaque Secret's value, searched for in every response the source reads.
	marker := []byte("opaque-value-the-controller-must-not-read")

	responses := &recorder{}
	cfg := rest.CopyConfig(c.RestConfig)
	cfg.WrapTransport = responses.wrap
	src := startSource(ctx, t, cfg, source.KubeOptions{Log: testLogger()})
	live := liveClient(t, c)
	// A Gateway names the TLS Secret: only named Secrets are read.
	gw := newGateway(ns, "gw")
	gw.Spec.Listeners[0].TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModeTerminate),
		CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "certificate"}}}
	for _, obj := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, gw} {
		if err := live.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := waitForGateway(ctx, src, ns, "gw"); err != nil {
		t.Fatal(err)
	}
	quiet(src.Changes(), time.Second) // Start's signal, the namespace's and the Gateway's

	opaque := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "opaque"},
		Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": marker}}
	if err := live.Create(ctx, opaque); err != nil {
		t.Fatal(err)
	}
	opaque.Data["password"] = []byte(string(marker) + " changed")
	if err := live.Update(ctx, opaque); err != nil {
		t.Fatal(err)
	}
	if quiet(src.Changes(), 3*time.Second) {
		t.Error("creating and changing an Opaque Secret asked for a rebuild")
	}

	pair, err := testtls.New("secrets.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tlsSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "certificate"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}}
	if err := live.Create(ctx, tlsSecret); err != nil {
		t.Fatal(err)
	}
	select {
	case <-src.Changes():
	case <-time.After(30 * time.Second):
		t.Fatal("a new kubernetes.io/tls Secret asked for no rebuild")
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range snap.Secrets {
		if s.Namespace == ns {
			names = append(names, s.Name)
		}
	}
	if !slices.Equal(names, []string{"certificate"}) {
		t.Errorf("snapshot Secrets of namespace %s: %v, want only the kubernetes.io/tls one", ns, names)
	}
	if err := src.Client().Get(ctx, key(ns, "opaque"), &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Opaque Secret read from the cache: %v, want not found", err)
	}

	if err := live.Delete(ctx, opaque); err != nil {
		t.Fatal(err)
	}
	if quiet(src.Changes(), 3*time.Second) {
		t.Error("deleting an Opaque Secret asked for a rebuild")
	}
	if err := live.Delete(ctx, tlsSecret); err != nil {
		t.Fatal(err)
	}
	select {
	case <-src.Changes():
	case <-time.After(30 * time.Second):
		t.Fatal("deleting a kubernetes.io/tls Secret asked for no rebuild")
	}
	if responses.holds(marker) {
		t.Error("the Opaque Secret's data reached the source in an API response")
	}
	if !responses.holds(pair.CertPEM[:30]) {
		t.Error("the kubernetes.io/tls Secret's data is in no API response: the recorder sees nothing")
	}
}

// quiet drains changes until none arrives for d, and reports whether any arrived.
func quiet(changes <-chan struct{}, d time.Duration) bool {
	seen := false
	for {
		select {
		case <-changes:
			seen = true
		case <-time.After(d):
			return seen
		}
	}
}

// recorder keeps every response body the source reads, lists and watch streams alike.
type recorder struct {
	mu     sync.Mutex
	bodies bytes.Buffer
}

func (r *recorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body = &recordedBody{ReadCloser: resp.Body, r: r}
		}
		return resp, err
	})
}

// holds reports whether a response carried b, the start of a Secret's value, raw (protobuf) or
// base64 (JSON).
func (r *recorder) holds(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.bodies.Bytes()
	// The value's base64 starts with that of b's whole 3-byte groups.
	return bytes.Contains(all, b) || bytes.Contains(all, []byte(base64.StdEncoding.EncodeToString(b[:len(b)/3*3])))
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

type recordedBody struct {
	io.ReadCloser
	r *recorder
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.r.mu.Lock()
	b.r.bodies.Write(p[:n])
	b.r.mu.Unlock()
	return n, err
}
