package haproxy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDefaultCertificateIsKept: the same certificate comes back at every start, stored 0600; a
// damaged file is replaced.
func TestDefaultCertificateIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "default-certificate.pem")
	first, err := DefaultCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("stored with %v, %v; want mode 0600", info.Mode(), err)
	}
	again, err := DefaultCertificate(path)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("second start made another certificate (err %v)", err)
	}
	if err := os.WriteFile(path, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, err := DefaultCertificate(path)
	if err != nil || bytes.Equal(fresh, first) || !usableDefault(fresh) {
		t.Fatalf("a damaged file was not replaced by a usable certificate (err %v)", err)
	}
}
