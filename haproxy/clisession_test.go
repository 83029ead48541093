package haproxy

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

// TestCLISessionAnswersInOrder sends more commands than one chunk down one session of a real
// HAProxy's runtime API and reads each answer in order: the empty ones, a lookup, an error.
func TestCLISessionAnswersInOrder(t *testing.T) {
	r := newRig(t)
	if res := r.apply(r.passthroughRoutes(freeport.String(t), "foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	sniMap := r.sniMap()
	var commands []string
	for i := range 3 * pipelineChunk / 2 {
		commands = append(commands, fmt.Sprintf("add map %s k%d.example.com tlsroute:default:foo:rule0", sniMap, i))
	}
	commands = append(commands, "get map "+sniMap+" k95.example.com", "set server tlsroute:default:foo:rule0/nosuch state ready", "show servers state tlsroute:default:foo:rule0")
	api := r.manager.runtime
	s, err := OpenCLISession(api.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	answers, err := s.Run(commands)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != len(commands) {
		t.Fatalf("%d answers to %d commands", len(answers), len(commands))
	}
	for i := range 3 * pipelineChunk / 2 {
		if answers[i] != "" {
			t.Errorf("%s answered %q", commands[i], answers[i])
		}
	}
	n := 3 * pipelineChunk / 2
	if !strings.Contains(answers[n], "found=yes") || !strings.Contains(answers[n], `key="k95.example.com"`) {
		t.Errorf("get map answered %q", answers[n])
	}
	if msg, failed := errorAnswer(answers[n+1]); !failed || msg != "No such server." {
		t.Errorf("set server on a missing server answered %q", answers[n+1])
	}
	if servers := answers[n+2]; !strings.Contains(servers, "# be_id be_name") || !strings.Contains(servers, "tlsroute:default:foo:rule0") {
		t.Errorf("show servers state answered %q", servers)
	}
}

// TestRuntimePipelineReportsTheFailedOp runs ops that go down one connection, one of which fails:
// the error names that op's command and HAProxy's answer, and the ops after it in the same
// connection ran.
func TestRuntimePipelineReportsTheFailedOp(t *testing.T) {
	r := newRig(t)
	if res := r.apply(r.passthroughRoutes(freeport.String(t), "foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	sniMap := r.sniMap()
	backend := backendName(model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "foo"})
	ops := []Op{
		{Kind: AddMapEntry, Map: sniMap, Key: "a.example.com", Value: backend},
		{Kind: EnableServer, Backend: backend, Server: "nosuch"},
		{Kind: AddMapEntry, Map: sniMap, Key: "b.example.com", Value: backend},
	}
	api := r.manager.runtime
	err := api.run(ops)
	if err == nil || err.Error() != "set server "+backend+"/nosuch state ready: No such server." {
		t.Fatalf("run: %v", err)
	}
	for _, key := range []string{"a.example.com", "b.example.com"} {
		if value, found, err := api.mapEntry(sniMap, key); err != nil || !found || value != backend {
			t.Errorf("map entry %s: %q, found %t, %v", key, value, found, err)
		}
	}
}

// sniMap is the exact-name SNI map of the rig's only socket.
func (r *rig) sniMap() string {
	r.t.Helper()
	for path := range r.manager.live.Config.Maps {
		if strings.HasSuffix(path, ".sni.map") {
			return path
		}
	}
	r.t.Fatal("no SNI map")
	return ""
}

// TestClientCertificateRotatedUnderAConnection rotates the client certificate a server presents
// back and forth while a connection through it is open: the old server leaves service and its
// sessions are shut down, and it waits for deletion with the certificate it presents; the next
// rotation brings both back. Then the servers and certificates left over are deleted, the
// connections long closed. No reload.
func TestClientCertificateRotatedUnderAConnection(t *testing.T) {
	r := newRig(t)
	ca := newTestCA(t, "backend CA")
	backendCert := ca.issue(t, "abc.example.com")
	backend, err := echo.Listen("secure-backend", "127.0.0.1:0", &backendCert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backend.Close)
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	id := model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "secure"}
	dp := func(client testtls.Pair) model.DataPlane {
		s := server(backend)
		s.TLS = verifiedBy("abc.example.com", ca)
		sum := sha256.Sum256(client.CertPEM)
		s.TLS.ClientCertificate = &model.Certificate{Namespace: "default", Name: "gateway-client", CertPEM: client.CertPEM, KeyPEM: client.KeyPEM,
			Fingerprint: hex.EncodeToString(sum[:])}
		return model.DataPlane{
			Sockets: []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw",
				Terminate:    []*model.SNIRoute{{Hostname: "foo.example.com", Backend: id}},
				Certificates: []model.Certificate{{Namespace: "default", Name: "gw", CertPEM: r.backendCert.CertPEM, KeyPEM: r.backendCert.KeyPEM}}}},
			Backends: []*model.Backend{{ID: id, Servers: []model.Server{s}}},
		}
	}
	var clients []testtls.Pair
	for range 2 {
		c, err := testtls.NewClient("gateway")
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if res := r.apply(dp(clients[0])); res.Err != nil {
		t.Fatal(res.Err)
	}
	for round := 1; round <= 4; round++ {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "foo.example.com", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		if greeting, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "secure-backend") {
			t.Fatalf("round %d: answered %q, %v", round, greeting, err)
		}
		r.applyWithoutReload(fmt.Sprintf("round %d: client certificate rotated under an open connection", round), dp(clients[round%2]))
		conn.Close()
	}
	if a, err := probe.TLS(addr, "foo.example.com"); err != nil || !strings.HasPrefix(a.Greeting, "secure-backend") {
		t.Errorf("after the rotations: answered %q, %v", a.Greeting, err)
	}
	if len(r.manager.live.Leaving) == 0 {
		t.Error("nothing waits for deletion after the last rotation")
	}
	r.deleteLeaving()
	if a, err := probe.TLS(addr, "foo.example.com"); err != nil || !strings.HasPrefix(a.Greeting, "secure-backend") {
		t.Errorf("after the deletions: answered %q, %v", a.Greeting, err)
	}
}
