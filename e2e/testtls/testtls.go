// Package testtls makes certificates for tests and demos: a self-signed certificate for a set of
// names, as PEM, and the serial to tell two apart.
package testtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"
)

// Pair is a certificate and its private key in PEM.
type Pair struct {
	CertPEM, KeyPEM []byte
	Serial          *big.Int
}

// New makes a self-signed ECDSA P-256 certificate for names.
func New(names ...string) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	return selfSigned(key, x509.KeyUsageDigitalSignature, names)
}

// NewClient makes a self-signed ECDSA P-256 client certificate for names: it is its own CA, so a
// bundle holding it verifies it.
func NewClient(names ...string) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	return newCertificate(key, x509.KeyUsageDigitalSignature, x509.ExtKeyUsageClientAuth, names)
}

// NewRSA makes a self-signed RSA-2048 certificate for names.
func NewRSA(names ...string) (Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Pair{}, err
	}
	// RSA key exchange needs key encipherment; TLS 1.2 clients may still offer it.
	return selfSigned(key, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, names)
}

func selfSigned(key crypto.Signer, usage x509.KeyUsage, names []string) (Pair, error) {
	return newCertificate(key, usage, x509.ExtKeyUsageServerAuth, names)
}

func newCertificate(key crypto.Signer, usage x509.KeyUsage, extUsage x509.ExtKeyUsage, names []string) (Pair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: names[0]},
		DNSNames:    names,
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    usage,
		ExtKeyUsage: []x509.ExtKeyUsage{extUsage},
	}
	// Self-signed: the template is its own parent.
	return sign(tmpl, key, tmpl, key)
}

// TLSCertificate returns the pair for crypto/tls.
func (p Pair) TLSCertificate() (tls.Certificate, error) { return tls.X509KeyPair(p.CertPEM, p.KeyPEM) }
