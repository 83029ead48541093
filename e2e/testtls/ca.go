package testtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"time"
)

// NewCA makes a self-signed ECDSA P-256 CA certificate named name (basic constraints CA:TRUE, as a
// ClusterTrustBundle requires of every certificate it holds); Issue signs server certificates
// with it.
func NewCA(name string) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return sign(tmpl, key, tmpl, key)
}

// Issue makes an ECDSA P-256 server certificate for names, signed by ca (a Pair from NewCA).
func (ca Pair) Issue(names ...string) (Pair, error) {
	return ca.issue(x509.ExtKeyUsageServerAuth, names)
}

// IssueClient makes an ECDSA P-256 client certificate for names, signed by ca.
func (ca Pair) IssueClient(names ...string) (Pair, error) {
	return ca.issue(x509.ExtKeyUsageClientAuth, names)
}

func (ca Pair) issue(extUsage x509.ExtKeyUsage, names []string) (Pair, error) {
	caCert, caKey, err := ca.parse()
	if err != nil {
		return Pair{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: names[0]},
		DNSNames:    names,
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{extUsage},
	}
	return sign(tmpl, key, caCert, caKey)
}

// parse reads the pair's certificate and private key.
func (p Pair) parse() (*x509.Certificate, crypto.Signer, error) {
	certBlock, _ := pem.Decode(p.CertPEM)
	keyBlock, _ := pem.Decode(p.KeyPEM)
	if certBlock == nil || keyBlock == nil {
		return nil, nil, errors.New("testtls: pair is not PEM")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("testtls: key cannot sign")
	}
	return cert, signer, nil
}

// sign makes the certificate of tmpl for key, signed by parent's key, with a random serial.
func sign(tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) (Pair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return Pair{}, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return Pair{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Serial:  serial,
	}, nil
}
