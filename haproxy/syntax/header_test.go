package syntax

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/haproxybin"
)

// TestHeaderEqualsInHAProxy runs the conditions HeaderEquals writes in a real HAProxy and sends
// requests carrying the headers: each matches its own header exactly, and nothing else.
func TestHeaderEqualsInHAProxy(t *testing.T) {
	cases := []struct{ name, value string }{
		{"x#y", "-1"}, {"a'b", "-i"}, {"x-a", "}{"}, {"x-b", "--"}, {"x-c", "-n"}, {"x-d", ""},
		{"x-e", `a'b"c#d$HOME\e`}, {"x-f", "tab\there"}, {"a|~^`$%&!*+.b", "{ }"}, {"x-g", "a, b"},
	}
	port := freeport.Get(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n")
	fmt.Fprintf(&cfg, "frontend f\n    bind 127.0.0.1:%d\n", port)
	for i, c := range cases {
		fmt.Fprintf(&cfg, "    http-request return status %d if { %s }\n", 201+i, HeaderEquals(c.name, c.value))
	}
	cfg.WriteString("    http-request return status 404\n")
	stop := startHAProxy(t, cfg.String())
	defer stop()

	for i, c := range cases {
		if got := status(t, port, c.name+": "+c.value); got != 201+i {
			t.Errorf("header %q value %q: status %d, want %d", c.name, c.value, got, 201+i)
		}
		// The same header with another value, and the value under another name, match nothing.
		if got := status(t, port, c.name+": "+c.value+"x"); got != 404 {
			t.Errorf("header %q value %q+x: status %d, want 404", c.name, c.value, got)
		}
		if got := status(t, port, "x-other: "+c.value); got != 404 && c.value != "" {
			t.Errorf("header x-other value %q: status %d, want 404", c.value, got)
		}
	}
}

func startHAProxy(t *testing.T, cfg string) func() {
	t.Helper()
	binary := haproxybin.Path(t)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %s\n%s", out, cfg)
	}
	cmd := exec.Command(binary, "-db", "-f", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}

// status sends one HTTP/1.1 request with an extra header line, as written, and returns the status.
func status(t *testing.T, port int, header string) int {
	t.Helper()
	var conn net.Conn
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: h\r\n%s\r\nConnection: close\r\n\r\n", header)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("read status: %v", err)
	}
	var code int
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &code); err != nil {
		t.Fatalf("status line %q: %v", line, err)
	}
	return code
}
