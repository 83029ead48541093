package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the paths of everything the processes read from disk, plus the PEM bytes the
// in-process clients need (so the rest.Config and kubeconfig do not depend on the files).
type pki struct {
	CAFile, ServingCertFile, ServingKeyFile string
	SAPublicKeyFile, SAPrivateKeyFile       string
	// Controller-manager identity, written as a kubeconfig later.
	KCMCertPEM, KCMKeyPEM []byte
	// Admin identity in group system:masters, used by tests and kubectl.
	CAPEM, AdminCertPEM, AdminKeyPEM []byte
}

// certAuthority is an in-memory CA able to sign leaf certificates.
type certAuthority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

// generatePKI writes a fresh CA, serving pair and service-account key pair into dir.
// Everything is generated per cluster so parallel test clusters never share trust.
func generatePKI(dir string) (*pki, error) {
	ca, err := newCA()
	if err != nil {
		return nil, err
	}
	p := &pki{
		CAFile:           filepath.Join(dir, "ca.crt"),
		ServingCertFile:  filepath.Join(dir, "apiserver.crt"),
		ServingKeyFile:   filepath.Join(dir, "apiserver.key"),
		SAPublicKeyFile:  filepath.Join(dir, "sa.pub"),
		SAPrivateKeyFile: filepath.Join(dir, "sa.key"),
		CAPEM:            ca.pem,
	}
	if err := writeFile(p.CAFile, ca.pem, 0o644); err != nil {
		return nil, err
	}

	// The API server is reached as 127.0.0.1 or localhost; the service names and the first service IP
	// are added so in-cluster style clients (10.96.0.1) would verify too.
	servingCert, servingKey, err := ca.issue(x509.ExtKeyUsageServerAuth, pkix.Name{CommonName: "kube-apiserver"},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")})
	if err != nil {
		return nil, err
	}
	if err := writeFile(p.ServingCertFile, servingCert, 0o644); err != nil {
		return nil, err
	}
	if err := writeFile(p.ServingKeyFile, servingKey, 0o600); err != nil {
		return nil, err
	}

	// Group system:masters bypasses authorization, which is what a test harness wants for its own clients.
	p.AdminCertPEM, p.AdminKeyPEM, err = ca.issue(x509.ExtKeyUsageClientAuth,
		pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}, nil, nil)
	if err != nil {
		return nil, err
	}
	// A distinct user name makes the controller-manager's requests recognisable in API server logs.
	p.KCMCertPEM, p.KCMKeyPEM, err = ca.issue(x509.ExtKeyUsageClientAuth,
		pkix.Name{CommonName: "system:kube-controller-manager", Organization: []string{"system:masters"}}, nil, nil)
	if err != nil {
		return nil, err
	}

	// Service-account tokens are signed with RSA: every Kubernetes version accepts RS256.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate service-account key: %w", err)
	}
	saPriv, err := encodeKey(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("marshal service-account public key: %w", err)
	}
	if err := writeFile(p.SAPrivateKeyFile, saPriv, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(p.SAPublicKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}), 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

func newCA() (*certAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "haproxy-gateway-e2e-ca"},
		NotBefore:             time.Now().Add(-time.Hour), // tolerate small clock differences
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certAuthority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue returns PEM certificate and key for a new leaf signed by the CA.
func (ca *certAuthority) issue(usage x509.ExtKeyUsage, subject pkix.Name, dnsNames []string, ips []net.IP) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key for %s: %w", subject.CommonName, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate for %s: %w", subject.CommonName, err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// encodeKey uses PKCS#8, which Go, etcd and Kubernetes all read for both RSA and ECDSA.
func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		// crypto/rand does not fail on Linux; a fixed serial would still be a valid certificate.
		return big.NewInt(1)
	}
	return n
}

// writeFile writes with an explicit mode so private keys never end up group- or world-readable,
// whatever the umask.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
