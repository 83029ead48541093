package testtls

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
)

// NewRSA1024 makes a self-signed RSA-1024 certificate for names: a key OpenSSL refuses at security
// level 2 (Debian's default), for tests of what happens when HAProxy cannot load a certificate.
func NewRSA1024(names ...string) (Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return Pair{}, err
	}
	return selfSigned(key, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, names)
}
