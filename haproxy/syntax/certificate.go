package syntax

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// minRSABits is the smallest RSA key HAProxy's OpenSSL loads at security level 2, Debian's
// default: 112 bits of security. Go accepts smaller keys, so without this check a listener would
// say ResolvedRefs=True for a certificate HAProxy then refuses.
const minRSABits = 2048

// Certificate checks a certificate chain (leaf first) and its private key the way HAProxy's
// OpenSSL will load them: the key matches the leaf, keys are RSA of at least 2048 bits, ECDSA on a
// curve OpenSSL serves, or Ed25519, and no certificate but a self-signed one is signed with MD5 or
// SHA-1. It returns the chain and the key re-encoded as plain PEM blocks (no text around them, no
// blank lines), so what HAProxy reads is exactly what was checked. Errors never carry key bytes.
func Certificate(certPEM, keyPEM []byte) (chain, key []byte, leaf *x509.Certificate, err error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The parse error names what is wrong without echoing key material.
		return nil, nil, nil, fmt.Errorf("tls.crt and tls.key are not a valid certificate and key: %v", err)
	}
	for i, der := range pair.Certificate {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("certificate %d of tls.crt: %v", i+1, err)
		}
		if err := publicKeyStrength(cert.PublicKey); err != nil {
			return nil, nil, nil, fmt.Errorf("certificate %d of tls.crt: %v", i+1, err)
		}
		if weakSignature(cert) {
			return nil, nil, nil, fmt.Errorf("certificate %d of tls.crt is signed with %s, which OpenSSL refuses", i+1, cert.SignatureAlgorithm)
		}
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		if i == 0 {
			leaf = cert
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		return nil, nil, nil, errors.New("tls.key: the private key cannot be encoded as PKCS #8")
	}
	key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return chain, key, leaf, nil
}

func publicKeyStrength(key crypto.PublicKey) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return fmt.Errorf("RSA key of %d bits; HAProxy's OpenSSL needs at least %d", bits, minRSABits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-224", "P-256", "P-384", "P-521":
		default:
			return fmt.Errorf("ECDSA curve %s is not served; use P-224, P-256, P-384 or P-521", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return fmt.Errorf("public key type %T is not served; use RSA, ECDSA or Ed25519", key)
	}
	return nil
}

// weakSignature reports a signature OpenSSL refuses at security level 2. A self-signed
// certificate's own signature is not checked, as OpenSSL does not check it either.
func weakSignature(cert *x509.Certificate) bool {
	switch cert.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return !selfSigned(cert)
	}
	return false
}

func selfSigned(cert *x509.Certificate) bool {
	return string(cert.RawIssuer) == string(cert.RawSubject)
}
