package bench

import (
	"context"
	"os"
	"path/filepath"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// traefikFiles are what every Traefik process of a run reads at its start, apart from its token.
type traefikFiles struct {
	dir string
	// caFile is the cluster's CA, which signed the API server's serving certificate: Traefik's
	// provider takes a CA file, a token and an endpoint, not a kubeconfig's client certificate.
	caFile string
	// dynamicConfig is the file provider's configuration: the default TLS store's certificate.
	// Without one Traefik generates an RSA key on every configuration change.
	dynamicConfig string
}

// traefikSetUp creates Traefik's ServiceAccount and its rights, and writes its files, on the first
// call of a run; later calls return the same files.
func (r *rig) traefikSetUp() *traefikFiles {
	r.t.Helper()
	if r.traefik != nil {
		return r.traefik
	}
	r.create(traefikServiceAccount(), traefikClusterRole(), traefikClusterRoleBinding())
	f := &traefikFiles{dir: r.t.TempDir()}
	f.caFile = filepath.Join(f.dir, "ca.crt")
	f.dynamicConfig = filepath.Join(f.dir, "dynamic.yaml")
	// Named for no route: a handshake that gets it matched no route's hostname.
	def, err := testtls.New("default.traefik.bench.test")
	if err != nil {
		r.t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(f.dir, "default.crt"), filepath.Join(f.dir, "default.key")
	dynamic, err := yaml.Marshal(map[string]any{"tls": map[string]any{"stores": map[string]any{"default": map[string]any{
		"defaultCertificate": map[string]string{"certFile": certFile, "keyFile": keyFile},
	}}}})
	if err != nil {
		r.t.Fatal(err)
	}
	for path, content := range map[string][]byte{
		f.caFile: r.cluster.RestConfig.CAData, certFile: def.CertPEM, keyFile: def.KeyPEM, f.dynamicConfig: dynamic,
	} {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			r.t.Fatal(err)
		}
	}
	r.traefik = f
	return f
}

// traefikTokenLifetime outlasts any Traefik process of a run: Traefik reads its token once, at
// its start.
const traefikTokenLifetime = 6 * 60 * 60

// traefikToken asks the TokenRequest API for a token of Traefik's ServiceAccount and writes it
// to a file in dir, whose path Traefik takes in place of the token: it stays out of the process
// list.
func (r *rig) traefikToken(dir string) string {
	r.t.Helper()
	cs, err := kubernetes.NewForConfig(r.cluster.RestConfig)
	if err != nil {
		r.t.Fatal(err)
	}
	seconds := int64(traefikTokenLifetime)
	tr, err := cs.CoreV1().ServiceAccounts(traefikNamespace).CreateToken(context.Background(), traefikIdentity,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds}}, metav1.CreateOptions{})
	if err != nil {
		r.t.Fatalf("token for Traefik's ServiceAccount: %v", err)
	}
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte(tr.Status.Token), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return path
}
