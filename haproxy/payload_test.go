package haproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

func TestRedact(t *testing.T) {
	pair, err := testtls.NewRSA("bar.example.com")
	if err != nil {
		t.Fatal(err)
	}
	payload := joinPEM(pair.CertPEM, pair.KeyPEM)
	lines := pair.KeyLines()
	piece := lines[4][7:40]
	for _, answer := range []string{
		string(payload),
		"unable to load '" + lines[3] + "' from the payload",
		"error near " + piece + " in the payload",
		"[2]: " + strings.Join(lines, "\n"),
	} {
		got := redact(answer, payload)
		noKey(t, pair, "redacted answer", got)
		if strings.Contains(got, piece) {
			t.Errorf("redacted answer %q holds a piece of a key line", got)
		}
	}
	if got := redact(strings.Repeat("x", 1000), payload); len(got) > maxAnswer+len("...") {
		t.Errorf("a 1000-byte answer became %d bytes, want at most %d", len(got), maxAnswer)
	}
	// HAProxy's own words and the file names stay readable.
	const refused = "Can't replace a certificate which is not referenced by the configuration!"
	if got := redact(refused, payload); got != refused {
		t.Errorf("redact(%q) = %q", refused, got)
	}
}

// A certificate sent where no HAProxy listens: the error names the command, not its payload.
func TestSetCertWithoutSocketShowsNoKey(t *testing.T) {
	pair, _ := testtls.NewRSA("bar.example.com")
	api := &runtimeAPI{socket: filepath.Join(t.TempDir(), "stats.sock")}
	err := api.run([]Op{{Kind: SetCert, Cert: "/etc/haproxy/certs/default_bar.pem", Payload: joinPEM(pair.CertPEM, pair.KeyPEM)}})
	if err == nil {
		t.Fatal("set ssl cert succeeded without a socket")
	}
	if noKey(t, pair, "error", err.Error()) {
		t.Logf("error: %v", err)
	}
}

// A real HAProxy refuses certificates: for a file it does not know, and a key without its
// certificate; then a rotation meets a stats socket that is gone and falls back to a reload.
// No error, reload reason or printed Result holds the key.
func TestRefusedCertificateShowsNoKey(t *testing.T) {
	r := newRig(t)
	first, _ := testtls.NewRSA("bar.example.com")
	other, _ := testtls.NewRSA("bar.example.com")
	barID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "bar-route"}
	port := atoi32(freeport.String(t))
	dp := func(cert testtls.Pair) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: port, Gateway: "default/gw",
			Terminate:    []*model.SNIRoute{{Hostname: "bar.example.com", Backend: barID}},
			Certificates: []model.Certificate{{Namespace: "default", Name: "bar", CertPEM: cert.CertPEM, KeyPEM: cert.KeyPEM}}}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{{ID: barID, Servers: []model.Server{server(r.plain)}}}}
	}
	if res := r.apply(dp(first)); res.Err != nil {
		t.Fatal(res.Err)
	}
	statsSocket := filepath.Join(r.manager.settings.RunDir, "stats.sock")
	api := newRuntimeAPI(statsSocket)
	known := filepath.Join(r.manager.settings.Dir, "certs", "default_bar.pem")
	for _, c := range []struct {
		what, file string
		payload    []byte
	}{
		{"unknown file", filepath.Join(r.manager.settings.Dir, "certs", "nobody.pem"), joinPEM(other.CertPEM, other.KeyPEM)},
		{"key without its certificate", known, joinPEM(other.KeyPEM)},
	} {
		err := api.run([]Op{{Kind: SetCert, Cert: c.file, Payload: c.payload}})
		if err == nil {
			t.Fatalf("%s: HAProxy took it", c.what)
		}
		if noKey(t, first, c.what, err.Error()) && noKey(t, other, c.what, err.Error()) {
			t.Logf("%s: %v", c.what, err)
		}
	}

	// A rotation while the stats socket is gone: "set ssl cert" fails, and a reload through the
	// master socket takes the certificate from the files.
	r.applyWithoutReload("rotation", dp(other))
	if err := os.Rename(statsSocket, statsSocket+".away"); err != nil {
		t.Fatal(err)
	}
	res := r.apply(dp(first))
	if res.RuntimeErr == nil || res.Err != nil || !res.Plan.Reload || res.Plan.Reasons[0].Kind != RuntimeFailed {
		// %+v prints ops by their command lines, without payload.
		t.Fatalf("rotation without a stats socket: %+v", res)
	}
	for what, text := range map[string]string{"runtime error": res.RuntimeErr.Error(), "plan": res.Plan.String(), "result": fmt.Sprintf("%+v", res)} {
		noKey(t, first, what, text)
		noKey(t, other, what, text)
	}
	if !t.Failed() {
		t.Logf("rotation without a stats socket: %s", res.Plan)
	}
}

// The other command with a payload: more hostnames at once than single "add map" commands are
// used for replace the whole map, on a real HAProxy and without a reload.
func TestMapReplacedThroughPayload(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	dp := func(hosts int) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw"}
		for i := range hosts {
			sock.Passthrough = append(sock.Passthrough, &model.SNIRoute{Hostname: fmt.Sprintf("h%d.example.com", i), Backend: fooID})
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{{ID: fooID, Servers: []model.Server{server(r.passthrough)}}}}
	}
	if res := r.apply(dp(1)); res.Err != nil {
		t.Fatal(res.Err)
	}
	r.applyWithoutReload("hostnames added at once", dp(replaceMapAbove+8))
	name := fmt.Sprintf("h%d.example.com", replaceMapAbove+7)
	if a, err := probe.TLS("127.0.0.1:"+port, name); err != nil || a.Greeting != echo.Greeting("foo-backend", true, name) {
		t.Errorf("%s after the map was replaced: %q, %v", name, a.Greeting, err)
	}
}

// A map replaced whole with more entries than one CLI buffer holds (tune.bufsize, 16 KiB): a
// burst of new routes on one listener. Every hostname answers, without a reload.
func TestLargeMapReplacedThroughPayload(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	fooID := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo-route"}
	name := func(i int) string { return fmt.Sprintf("route-%05d.team-with-a-long-namespace-name.example.com", i) }
	const hosts = 2000 // about 150 KiB of map payload
	dp := func(hosts int) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw"}
		for i := range hosts {
			sock.Passthrough = append(sock.Passthrough, &model.SNIRoute{Hostname: name(i), Backend: fooID})
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{{ID: fooID, Servers: []model.Server{server(r.passthrough)}}}}
	}
	if res := r.apply(dp(1)); res.Err != nil {
		t.Fatal(res.Err)
	}
	r.applyWithoutReload("2,000 hostnames added at once", dp(hosts))
	for _, i := range []int{0, 1, hosts / 2, hosts - 1} {
		if a, err := probe.TLS("127.0.0.1:"+port, name(i)); err != nil || a.Greeting != echo.Greeting("foo-backend", true, name(i)) {
			t.Errorf("%s after the map was replaced: %q, %v", name(i), a.Greeting, err)
		}
	}

	// In a map this large one entry is read back alone ("get map"), present or gone.
	r.applyWithoutReload("one hostname more", dp(hosts+1))
	r.applyWithoutReload("one hostname less", dp(hosts))
	api := r.manager.runtime
	var sni string
	for path := range r.manager.live.Config.Maps {
		if r.manager.live.Config.Files[path].Size() > showWholeMapBelow {
			sni = path
		}
	}
	if value, found, err := api.mapEntry(sni, name(7)); err != nil || !found || value != backendName(fooID) {
		t.Errorf("get map %s: %q, %t, %v; want %s", name(7), value, found, err, backendName(fooID))
	}
	if value, found, err := api.mapEntry(sni, name(hosts)); err != nil || found {
		t.Errorf("get map of a removed name: %q, %t, %v", value, found, err)
	}
}

func TestMapPayloadsStayWithinTheBound(t *testing.T) {
	entries := map[string]string{}
	for i := range 500 {
		entries[fmt.Sprintf("h%03d.example.com", i)] = "spare:1"
	}
	long := strings.Repeat("a", 40) + ".example.com"
	entries[long] = "tlsroute:default:long:rule0"
	payloads := mapPayloads(entries, 1000)
	var lines []string
	for i, p := range payloads {
		if len(p) > 1000 {
			t.Errorf("payload %d has %d bytes, more than 1000", i, len(p))
		}
		if !strings.HasSuffix(string(p), "\n") {
			t.Errorf("payload %d does not end a line", i)
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(p), "\n"), "\n")...)
	}
	if len(lines) != len(entries) || !slices.IsSorted(lines) {
		t.Errorf("%d lines in key order, want the %d entries in key order", len(lines), len(entries))
	}
	if got := mapPayloads(map[string]string{long: strings.Repeat("b", 2000)}, 1000); len(got) != 1 {
		t.Errorf("a line longer than the bound: %d payloads, want 1 of its own", len(got))
	}
	if got := mapPayloads(nil, 1000); len(got) != 0 {
		t.Errorf("no entries: %d payloads, want none", len(got))
	}
}
