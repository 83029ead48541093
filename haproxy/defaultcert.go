package haproxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// NewDefaultCertificate makes the self-signed placeholder that heads every crt-list (see
// DefaultCertificateName): certificate and key in one PEM.
func NewDefaultCertificate() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: DefaultCertificateName},
		DNSNames:     []string{DefaultCertificateName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...), nil
}

// DefaultCertificate returns the default certificate kept at path, making and storing one (mode
// 0600) when the file is missing or does not hold a usable certificate and key. Keeping it across
// restarts keeps the certificate files unchanged, so a restarted controller with nothing else
// changed finds nothing to reload.
func DefaultCertificate(path string) ([]byte, error) {
	if pem, err := os.ReadFile(path); err == nil && usableDefault(pem) {
		return pem, nil
	}
	pem, err := NewDefaultCertificate()
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(path, pem, 0o600); err != nil {
		return nil, fmt.Errorf("store the default certificate: %w", err)
	}
	return pem, nil
}

// usableDefault reports whether content is a certificate with its matching key, valid for at
// least another day.
func usableDefault(content []byte) bool {
	pair, err := tls.X509KeyPair(content, content)
	if err != nil || len(pair.Certificate) == 0 {
		return false
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	return err == nil && time.Now().Add(24*time.Hour).Before(cert.NotAfter)
}

// DefaultCertificatePath is where the default certificate is kept in the configuration folder,
// beside the copy each configuration writes.
func DefaultCertificatePath(dir string) string {
	return filepath.Join(dir, "default-certificate.pem")
}
