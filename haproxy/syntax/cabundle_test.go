package syntax

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

// TestCABundle: certificates pass re-encoded without the text around them; anything but
// CERTIFICATE blocks, a weak key, or no certificate at all is refused, and no error repeats the
// bundle's bytes.
func TestCABundle(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	ca1, ca2 := issue(t, key, nil, nil, x509.ECDSAWithSHA256, true), issue(t, key, nil, nil, x509.ECDSAWithSHA256, true)
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	weak := issue(t, rsaKey(t, 1024), nil, nil, x509.SHA256WithRSA, true)

	bundle := append(append([]byte("Root one\n"), block("CERTIFICATE", ca1)...), append([]byte("\nRoot two\n"), block("CERTIFICATE", ca2)...)...)
	bundle = append(bundle, "That is all.\n"...)
	got, err := CABundle(bundle)
	if want := append(block("CERTIFICATE", ca1), block("CERTIFICATE", ca2)...); err != nil || !bytes.Equal(got, want) {
		t.Errorf("CABundle(two certificates with text before, between and after) = %q, %v; want the two blocks alone", got, err)
	}

	for name, c := range map[string]struct {
		bundle []byte
		want   string
	}{
		"empty":       {nil, "no certificate"},
		"not PEM":     {[]byte("not a certificate"), "block 1 is not PEM"},
		"private key": {append(block("CERTIFICATE", ca1), block("PRIVATE KEY", keyDER)...), "block 2 is a PRIVATE KEY"},
		"bad DER":     {block("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01}), "certificate 1"},
		"weak key":    {block("CERTIFICATE", weak), "certificate 1"},
	} {
		_, err := CABundle(c.bundle)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
			continue
		}
		// No line of a PEM body, nor any 16 bytes of one, shows in the error.
		for _, line := range strings.Split(string(c.bundle), "\n") {
			for i := 0; i+16 <= len(line); i += 8 {
				if !strings.HasPrefix(line, "-----") && strings.Contains(err.Error(), line[i:i+16]) {
					t.Errorf("%s: error repeats the bundle: %v", name, err)
				}
			}
		}
	}
}
