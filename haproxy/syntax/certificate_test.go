package syntax

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
)

// TestCertificateAgreesWithHAProxy loads each certificate into a real HAProxy ("haproxy -c" with a
// crt-list naming it) and checks that Certificate accepts exactly those HAProxy loads.
func TestCertificateAgreesWithHAProxy(t *testing.T) {
	rsa1024, rsa2048 := rsaKey(t, 1024), rsaKey(t, 2048)
	p256, p224 := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P224())
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ca := issue(t, rsa2048, nil, nil, x509.SHA256WithRSA, true)
	weakCA := issue(t, rsa1024, nil, nil, x509.SHA256WithRSA, true)

	cases := []struct {
		name       string
		chain      [][]byte
		key        crypto.Signer
		wantLoaded bool
	}{
		{"RSA 2048 self-signed", [][]byte{issue(t, rsa2048, nil, nil, x509.SHA256WithRSA, false)}, rsa2048, true},
		{"RSA 1024 self-signed", [][]byte{issue(t, rsa1024, nil, nil, x509.SHA256WithRSA, false)}, rsa1024, false},
		{"ECDSA P-256", [][]byte{issue(t, p256, nil, nil, x509.ECDSAWithSHA256, false)}, p256, true},
		{"Ed25519", [][]byte{issue(t, ed, nil, nil, x509.PureEd25519, false)}, ed, true},
		{"RSA 2048 signed by a CA with SHA-256", [][]byte{issue(t, p256, ca, rsa2048, x509.SHA256WithRSA, false), ca}, p256, true},
		{"RSA 2048 signed by a CA with SHA-1", [][]byte{issue(t, p256, ca, rsa2048, x509.SHA1WithRSA, false), ca}, p256, false},
		{"chain with an RSA 1024 CA", [][]byte{issue(t, p256, weakCA, rsa1024, x509.SHA256WithRSA, false), weakCA}, p256, false},
	}
	if p224 != nil {
		cases = append(cases, struct {
			name       string
			chain      [][]byte
			key        crypto.Signer
			wantLoaded bool
		}{"ECDSA P-224", [][]byte{issue(t, p224, nil, nil, x509.ECDSAWithSHA256, false)}, p224, true})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var certPEM []byte
			for _, der := range c.chain {
				certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
			}
			keyDER, err := x509.MarshalPKCS8PrivateKey(c.key)
			if err != nil {
				t.Fatal(err)
			}
			keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
			_, _, _, checkErr := Certificate(certPEM, keyPEM)
			loaded, haproxyMessage := haproxyLoads(t, append(append([]byte{}, certPEM...), keyPEM...))
			if loaded != c.wantLoaded {
				t.Fatalf("HAProxy loaded it: %v, want %v (%s)", loaded, c.wantLoaded, haproxyMessage)
			}
			if (checkErr == nil) != loaded {
				t.Fatalf("Certificate() error %v, but HAProxy loaded it: %v (%s)", checkErr, loaded, haproxyMessage)
			}
			if checkErr != nil && bytes.Contains([]byte(checkErr.Error()), []byte("PRIVATE")) {
				t.Fatalf("error mentions key material: %v", checkErr)
			}
		})
	}
}

func TestCertificateNormalizesPEM(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	der := issue(t, key, nil, nil, x509.ECDSAWithSHA256, false)
	keyDER, _ := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	certPEM := append([]byte("Subject: text before the block\n\n"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	keyPEM := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), []byte("\n\n")...)
	chain, k, leaf, err := Certificate(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(chain), "Subject:") || strings.Contains(string(chain)+string(k), "\n\n") {
		t.Fatalf("not normalized:\n%s%s", chain, k)
	}
	if !strings.HasPrefix(string(k), "-----BEGIN PRIVATE KEY-----") || leaf == nil {
		t.Fatalf("key not PKCS #8 or no leaf: %.40s", k)
	}
}

func haproxyLoads(t *testing.T, pemFile []byte) (bool, string) {
	t.Helper()
	binary := haproxybin.Path(t)
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certPath, pemFile, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "defaults\n  mode tcp\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\n" +
		"frontend f\n  bind unix@" + filepath.Join(dir, "s.sock") + " ssl crt " + certPath + "\n"
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "-c", "-f", cfgPath).CombinedOutput()
	return err == nil, strings.TrimSpace(string(out))
}

func rsaKey(t *testing.T, bits int) crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ecKey returns nil for a curve this Go cannot generate keys on.
func ecKey(t *testing.T, curve elliptic.Curve) crypto.Signer {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil
	}
	return k
}

// issue makes a certificate for key, signed by parent's key (self-signed when parent is nil).
func issue(t *testing.T, key crypto.Signer, parent []byte, parentKey crypto.Signer, alg x509.SignatureAlgorithm, isCA bool) []byte {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "cert.example.com"},
		DNSNames:              []string{"cert.example.com"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		SignatureAlgorithm:    alg,
		IsCA:                  isCA,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if isCA {
		tmpl.Subject.CommonName = "ca " + serial.String()
	}
	issuer, signer := tmpl, key
	if parent != nil {
		p, err := x509.ParseCertificate(parent)
		if err != nil {
			t.Fatal(err)
		}
		issuer, signer = p, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatalf("%s: %v", alg, err)
	}
	return der
}
