package echobasic

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	"golang.org/x/net/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	pb "sigs.k8s.io/gateway-api-conformance-images/echo-basic/grpcechoserver"
)

// loopbackIP returns a random 127.x.y.z so parallel runs and other software on the fixed ports
// (3000, 3001, 8443) of 127.0.0.1 do not collide with the test.
func loopbackIP() string {
	return fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 2+rand.IntN(252))
}

// certFiles makes a certificate for names and returns the pod files holding it at the paths the
// suite's manifests mount, and a pool trusting it.
func certFiles(t *testing.T, names ...string) (map[string][]byte, *x509.CertPool) {
	t.Helper()
	pair, err := testtls.New(names...)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pair.CertPEM)
	return map[string][]byte{"/etc/secret-volume/crt": pair.CertPEM, "/etc/secret-volume/key": pair.KeyPEM}, pool
}

func start(t *testing.T, ip string, pod Pod) *Server {
	t.Helper()
	s, err := Start(ip, pod)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func getJSON(t *testing.T, c *http.Client, req *http.Request) (*http.Response, echoAnswer) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a echoAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s: body %q is not an echo: %v", req.URL, body, err)
	}
	return resp, a
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want Mode
	}{
		{nil, ModeHTTP},
		{map[string]string{"TCP_ECHO_SERVER": "1"}, ModeTCP},
		{map[string]string{"GRPC_ECHO_SERVER": "1", "TCP_ECHO_SERVER": "1"}, ModeGRPC},
		{map[string]string{"UDP_ECHO_SERVER": "1"}, ModeUDP},
		{map[string]string{"TCP_ECHO_SERVER": ""}, ModeHTTP},
	} {
		if got := ModeOf(tc.env); got != tc.want {
			t.Errorf("ModeOf(%v) = %s, want %s", tc.env, got, tc.want)
		}
	}
}

func TestHTTPEcho(t *testing.T) {
	ip := loopbackIP()
	files, pool := certFiles(t, "abc.example.com")
	start(t, ip, Pod{
		Env: map[string]string{
			"POD_NAME": "infra-backend-v1-abc", "NAMESPACE": "gateway-conformance-infra",
			"TLS_SERVER_CERT": "/etc/secret-volume/crt", "TLS_SERVER_PRIVKEY": "/etc/secret-volume/key",
		},
		Files: files,
	})
	plain := &http.Client{Timeout: 5 * time.Second}

	req, _ := http.NewRequest(http.MethodPost, "http://"+ip+":3000/a//b?x=1", strings.NewReader("body"))
	req.Host = "foo.example.com"
	req.Header.Set("X-Custom", "v")
	req.Header.Add("X-Echo-Set-Header", "X-Out: one, x-lower: two")
	resp, a := getJSON(t, plain, req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("status %d content-type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	want := echoAnswer{Path: "/a//b?x=1", Host: "foo.example.com", Method: "POST", Proto: "HTTP/1.1", HTTPPort: "3000",
		identity: identity{Namespace: "gateway-conformance-infra", Pod: "infra-backend-v1-abc"}}
	if a.Path != want.Path || a.Host != want.Host || a.Method != want.Method || a.Proto != want.Proto ||
		a.HTTPPort != want.HTTPPort || a.identity != want.identity || a.TLS != nil {
		t.Errorf("echo = %+v, want %+v", a, want)
	}
	if got := a.Headers["X-Custom"]; len(got) != 1 || got[0] != "v" {
		t.Errorf("echoed X-Custom = %v", got)
	}
	// Names keep the casing the client asked for.
	if len(resp.Header["X-Out"]) != 1 || resp.Header["X-Out"][0] != "one" {
		t.Errorf("X-Out response header = %q", resp.Header["X-Out"])
	}
	if resp.Header.Get("x-lower") != "two" {
		t.Errorf("x-lower response header = %q (all: %v)", resp.Header.Get("x-lower"), resp.Header)
	}

	for path, code := range map[string]int{"/status/418": 418, "/status/abc": 400, "/health": 200} {
		r, err := plain.Get("http://" + ip + ":3000" + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
		if r.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", path, r.StatusCode, code)
		}
	}

	t.Run("h2c", func(t *testing.T) {
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, "http://"+ip+":3001/h2c", nil)
		_, a := getJSON(t, &http.Client{Transport: tr, Timeout: 5 * time.Second}, req)
		if a.Proto != "HTTP/2.0" || a.Path != "/h2c" || a.Pod != "infra-backend-v1-abc" {
			t.Errorf("h2c echo = %+v", a)
		}
		r, err := plain.Get("http://" + ip + ":3001/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if r.StatusCode != 400 || string(body) != "Expected h2c request" {
			t.Errorf("HTTP/1.1 on the h2c port = %d %q", r.StatusCode, body)
		}
	})

	t.Run("https", func(t *testing.T) {
		for _, h2 := range []bool{true, false} {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "abc.example.com"}, ForceAttemptHTTP2: h2}
			req, _ := http.NewRequest(http.MethodGet, "https://"+ip+":8443/tls", nil)
			_, a := getJSON(t, &http.Client{Transport: tr, Timeout: 5 * time.Second}, req)
			tr.CloseIdleConnections()
			wantProto, wantALPN := "HTTP/1.1", ""
			if h2 {
				wantProto, wantALPN = "HTTP/2.0", "h2"
			}
			if a.Proto != wantProto || a.TLS == nil || a.TLS.ServerName != "abc.example.com" || a.TLS.Version != "TLSv1.3" ||
				a.TLS.NegotiatedProtocol != wantALPN || a.TLS.CipherSuite == "" {
				t.Errorf("https (h2 %t) echo = %+v tls %+v", h2, a, a.TLS)
			}
		}
	})

	t.Run("websocket", func(t *testing.T) {
		ws, err := websocket.Dial("ws://"+ip+":3000/ws", "", "http://"+ip)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if _, err := ws.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := ws.Read(buf)
		if err != nil || string(buf[:n]) != "hello" {
			t.Errorf("websocket echo = %q, %v", buf[:n], err)
		}
	})
}

// TestHTTPEchoOfRepeatedHeaders sends what the suite's client sends through a gateway that appends a
// header (RequestHeaderModifier add): the name twice, and X-Echo-Set-Header even when empty. The
// suite joins the echoed values with "," and compares the result to "orig,added".
func TestHTTPEchoOfRepeatedHeaders(t *testing.T) {
	ip := loopbackIP()
	start(t, ip, Pod{Env: map[string]string{"POD_NAME": "p", "NAMESPACE": "n"}})
	conn, err := net.DialTimeout("tcp", ip+":3000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET /add HTTP/1.1\r\nHost: gw\r\nx-header-add: orig\r\nX-Header-Add: added\r\n"+
		"X-Echo-Set-Header: \r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a echoAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if got := strings.Join(a.Headers["X-Header-Add"], ","); got != "orig,added" {
		t.Errorf("echoed X-Header-Add = %q (headers %v)", got, a.Headers)
	}
	for name := range resp.Header {
		if name == "" {
			t.Errorf("an empty X-Echo-Set-Header produced a nameless response header: %v", resp.Header)
		}
	}
}

func TestHTTPRetry(t *testing.T) {
	ip := loopbackIP()
	start(t, ip, Pod{Env: map[string]string{"POD_NAME": "p", "NAMESPACE": "n"}})
	c := &http.Client{Timeout: 5 * time.Second}
	for i, want := range []int{503, 503, 200, 200} {
		r, err := c.Get("http://" + ip + ":3000/retry/?uuid=u1&succeedAfter=2&responseCode=503")
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("attempt %d = %d, want %d", i, r.StatusCode, want)
		}
	}
	// Without responseCode a failing attempt resets the connection. On a fresh connection: the
	// client sends an idempotent request again by itself when a reused one is reset.
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if r, err := fresh.Get("http://" + ip + ":3000/retry/?uuid=u2&succeedAfter=1"); err == nil {
		_ = r.Body.Close()
		t.Errorf("first attempt answered %d, want a reset connection", r.StatusCode)
	}
}

func TestHTTPWithoutCertificateServesNoTLS(t *testing.T) {
	ip := loopbackIP()
	s := start(t, ip, Pod{Env: map[string]string{"POD_NAME": "p"}})
	if len(s.Addrs) != 2 {
		t.Errorf("listening on %v, want HTTP and h2c only", s.Addrs)
	}
	if _, err := net.DialTimeout("tcp", ip+":8443", time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial 8443: %v, want connection refused", err)
	}
}

// tcpSession reads the greeting and returns a function that sends one line and reads the answer.
func tcpSession(t *testing.T, conn net.Conn) func(string) string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	greeting, err := r.ReadString('\n')
	if err != nil || greeting != TCPGreeting {
		t.Fatalf("greeting %q, %v", greeting, err)
	}
	return func(line string) string {
		if _, err := io.WriteString(conn, line+"\n"); err != nil {
			t.Fatal(err)
		}
		answer, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("answer to %s: %v", line, err)
		}
		return answer
	}
}

func TestTCPEcho(t *testing.T) {
	ip := loopbackIP()
	files, pool := certFiles(t, "abc.example.com")
	s := start(t, ip, Pod{
		Env: map[string]string{
			"POD_NAME": "tcp-backend-x", "NAMESPACE": "gateway-conformance-infra", "TCP_ECHO_SERVER": "1",
			"TLS_SERVER_CERT": "/etc/secret-volume/crt", "TLS_SERVER_PRIV_KEY": "/etc/secret-volume/key",
		},
		Files: files,
	})
	if s.Mode != ModeTCP {
		t.Fatalf("mode %s", s.Mode)
	}

	conn, err := net.DialTimeout("tcp", ip+":3000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	say := tcpSession(t, conn)
	if got := say("PING"); got != "PONG\n" {
		t.Errorf("PING -> %q", got)
	}
	if got := say("IS_TLS"); got != "false\n" {
		t.Errorf("IS_TLS -> %q", got)
	}
	wantPlain := `{"namespace":"gateway-conformance-infra","ingress":"","service":"","pod":"tcp-backend-x","tcpport":"3000","tlsport":"8443","isTLS":false}` + "\n"
	if got := say("TEST"); got != wantPlain {
		t.Errorf("TEST -> %q\nwant     %q", got, wantPlain)
	}

	tconn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ip+":8443", &tls.Config{RootCAs: pool, ServerName: "abc.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer tconn.Close()
	say = tcpSession(t, tconn)
	if got := say("IS_TLS"); got != "true\n" {
		t.Errorf("IS_TLS over TLS -> %q", got)
	}
	var a tcpAnswer
	if err := json.Unmarshal([]byte(say("TEST")), &a); err != nil {
		t.Fatal(err)
	}
	if !a.IsTLS || a.TLS == nil || a.TLS.ServerName != "abc.example.com" || a.TLS.Version != "TLS 1.3" || a.Pod != "tcp-backend-x" || a.TCPPort != "3000" {
		t.Errorf("TEST over TLS = %+v tls %+v", a, a.TLS)
	}

	s.Close()
	for _, port := range []string{"3000", "8443"} {
		if _, err := net.DialTimeout("tcp", ip+":"+port, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("after Close, dial %s: %v, want connection refused", port, err)
		}
	}
	// Open connections are dropped too.
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
		t.Error("connection still open after Close")
	}
}

func TestMissingKeyFailsAndLeavesNothingListening(t *testing.T) {
	ip := loopbackIP()
	files, _ := certFiles(t, "abc.example.com")
	delete(files, "/etc/secret-volume/key")
	env := map[string]string{"TCP_ECHO_SERVER": "1", "TLS_SERVER_CERT": "/etc/secret-volume/crt", "TLS_SERVER_PRIV_KEY": "/nonexistent/key"}
	if s, err := Start(ip, Pod{Env: env, Files: files}); err == nil {
		s.Close()
		t.Fatal("started without its private key")
	}
	delete(env, "TLS_SERVER_PRIV_KEY")
	// Without a key variable the TCP echo serves plain only, and the port is free to take.
	s := start(t, ip, Pod{Env: env, Files: files})
	if len(s.Addrs) != 1 {
		t.Errorf("listening on %v, want the plain port only", s.Addrs)
	}
}

func TestUDPModeServesNothing(t *testing.T) {
	s := start(t, loopbackIP(), Pod{Env: map[string]string{"UDP_ECHO_SERVER": "1"}})
	if s.Mode != ModeUDP || len(s.Addrs) != 0 {
		t.Errorf("UDP mode: %s %v", s.Mode, s.Addrs)
	}
}

func TestGRPCEcho(t *testing.T) {
	ip := loopbackIP()
	files, pool := certFiles(t, "abc.example.com")
	s := start(t, ip, Pod{
		Env: map[string]string{
			"POD_NAME": "grpc-infra-backend-v1-abc", "NAMESPACE": "gateway-conformance-infra", "GRPC_ECHO_SERVER": "1",
			"TLS_SERVER_CERT": "/etc/secret-volume/crt", "TLS_SERVER_PRIV_KEY": "/etc/secret-volume/key",
		},
		Files: files,
	})
	if s.Mode != ModeGRPC || len(s.Addrs) != 2 {
		t.Fatalf("gRPC mode: %s %v", s.Mode, s.Addrs)
	}
	call := func(t *testing.T, port string, opts ...grpc.DialOption) pb.GrpcEchoClient {
		conn, err := grpc.NewClient(net.JoinHostPort(ip, port), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return pb.NewGrpcEchoClient(conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-custom", "v")

	plain := call(t, "3000", grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority("grpc.example.com"))
	resp, err := plain.EchoTwo(ctx, &pb.EchoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.GetAssertions()
	if a.GetFullyQualifiedMethod() != "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/EchoTwo" || a.GetAuthority() != "grpc.example.com" ||
		a.GetContext().GetPod() != "grpc-infra-backend-v1-abc" || a.GetContext().GetNamespace() != "gateway-conformance-infra" || a.GetTlsAssertions() != nil {
		t.Errorf("EchoTwo assertions = %v", a)
	}
	if !slices.ContainsFunc(a.GetHeaders(), func(h *pb.Header) bool { return h.GetKey() == "x-custom" && h.GetValue() == "v" }) {
		t.Errorf("x-custom not echoed: %v", a.GetHeaders())
	}
	if _, err := plain.EchoThree(ctx, &pb.EchoRequest{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("EchoThree: %v, want Unimplemented", err)
	}

	secure := call(t, "8443", grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "abc.example.com"})))
	resp, err = secure.Echo(ctx, &pb.EchoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if a := resp.GetAssertions(); a.GetFullyQualifiedMethod() != "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo" || a.GetAuthority() != "abc.example.com" ||
		a.GetTlsAssertions().GetServerName() != "abc.example.com" || a.GetTlsAssertions().GetVersion() != "TLSv1.3" ||
		a.GetTlsAssertions().GetNegotiatedProtocol() != "h2" {
		t.Errorf("Echo over TLS assertions = %v", a)
	}

	s.Close()
	if _, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "3000"), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after Close, dial 3000: %v, want connection refused", err)
	}
}

// TestEveryAddressServes gives a pod an IPv4 and an IPv6 address, as a dual-stack pod has, and
// expects each port on both with the state of one pod: retry attempts count across addresses.
func TestEveryAddressServes(t *testing.T) {
	v4, v6 := loopbackIP(), "::1"
	if l, err := net.Listen("tcp", net.JoinHostPort(v6, "0")); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		_ = l.Close()
	}
	s, err := StartOn([]string{v4, v6}, Pod{Env: map[string]string{"POD_NAME": "dual", "NAMESPACE": "n"}})
	if err != nil {
		// Another test or program may hold [::1]:3000, which every run shares.
		t.Skipf("start on %s and %s: %v", v4, v6, err)
	}
	t.Cleanup(s.Close)
	if len(s.Addrs) != 4 {
		t.Errorf("listening on %v, want HTTP and h2c on both addresses", s.Addrs)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	for i, ip := range []string{v4, v6, v6} {
		want := []int{503, 503, 200}[i]
		r, err := c.Get("http://" + net.JoinHostPort(ip, "3000") + "/retry/?uuid=u&succeedAfter=2&responseCode=503")
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("attempt %d on %s = %d, want %d", i, ip, r.StatusCode, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+net.JoinHostPort(v6, "3000")+"/v6", nil)
	if _, a := getJSON(t, c, req); a.Path != "/v6" || a.Pod != "dual" {
		t.Errorf("echo on %s = %+v", v6, a)
	}
}
