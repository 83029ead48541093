package haproxy

import (
	"fmt"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// noKey fails the test when text holds any of pair's private key, and reports whether it holds
// none (only then may the test print it).
func noKey(t *testing.T, pair testtls.Pair, what, text string) bool {
	t.Helper()
	if found := pair.KeyMaterialIn(text); found != nil {
		t.Errorf("%s holds key material (%v)", what, found)
		return false
	}
	return true
}

// Printing an op, a data plane or a configuration shows names, never PEM.
func TestPrintingShowsNoKey(t *testing.T) {
	pair, _ := testtls.NewRSA("bar.example.com")
	payload := joinPEM(pair.CertPEM, pair.KeyPEM)
	op := Op{Kind: SetCert, Cert: "/etc/haproxy/certs/default_bar.pem", Payload: payload}
	plan := Plan{Ops: []Op{op}}
	cert := model.Certificate{Namespace: "default", Name: "bar", CertPEM: pair.CertPEM, KeyPEM: pair.KeyPEM}
	cfg := Config{Files: map[string]File{op.Cert: {data: payload, Secret: true}}}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for _, value := range []any{op, plan, Result{Plan: plan}, cert, model.DataPlane{Sockets: []model.Socket{{Certificates: []model.Certificate{cert}}}}, cfg} {
			noKey(t, pair, fmt.Sprintf("%s of %T", format, value), fmt.Sprintf(format, value))
		}
	}
	noKey(t, pair, "op command", op.Command())
	noKey(t, pair, "plan", plan.String())
	if got := fmt.Sprint(op); got != "set ssl cert /etc/haproxy/certs/default_bar.pem <<" {
		t.Errorf("op printed as %q", got)
	}
}
