package syntax

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// maxCACertificates bounds a CA bundle: HAProxy reads every certificate of a CA file into its
// store, and a bundle is written to a file and sent over the runtime API whole.
const maxCACertificates = 512

// CABundle checks a PEM bundle of CA certificates the way HAProxy's OpenSSL will load it as a CA
// file: one or more CERTIFICATE blocks, each a certificate OpenSSL accepts; text between and after
// the blocks is left out, as OpenSSL and the API server's ClusterTrustBundle validation leave it. It
// returns the certificates re-encoded as plain PEM blocks, so what HAProxy reads is exactly what
// was checked. Errors never carry the bundle's bytes, nor say where it came from (a ConfigMap key,
// a ClusterTrustBundle field): the caller does.
func CABundle(bundle []byte) ([]byte, error) {
	var out []byte
	rest := bytes.TrimSpace(bundle)
	for n := 1; len(rest) > 0; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil && n > 1 {
			break
		}
		if block == nil {
			return nil, fmt.Errorf("block %d is not PEM", n)
		}
		rest = bytes.TrimSpace(rest)
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("block %d is a %s, only CERTIFICATE blocks are read", n, block.Type)
		}
		if n > maxCACertificates {
			return nil, fmt.Errorf("more than %d certificates", maxCACertificates)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", n, err)
		}
		if err := publicKeyStrength(cert.PublicKey); err != nil {
			return nil, fmt.Errorf("certificate %d: %v", n, err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes})...)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}
