// Package echo runs small TCP servers that stand in for backends: each greets with its name,
// says whether it terminated TLS and which server name it saw, then echoes lines back.
package echo

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// Server is one listening backend.
type Server struct {
	Name     string
	listener net.Listener
	// tls is set for a backend that terminates TLS.
	tls *tls.Config
	// proxyHeader is set for a backend that reads a PROXY protocol v2 header first (ListenProxied).
	proxyHeader bool
	wg          sync.WaitGroup
	mu          sync.Mutex
	conns       map[net.Conn]struct{}
}

// Greeting is the first line a backend sends: "<name> tls=<bool> sni=<name>".
func Greeting(name string, isTLS bool, sni string) string {
	return fmt.Sprintf("%s tls=%t sni=%s", name, isTLS, sni)
}

// NoProxyHeader is what ProxiedGreeting says of a connection that started without a PROXY header.
const NoProxyHeader = "none"

// ProxiedGreeting is the first line a backend started with ListenProxied sends: Greeting, then
// " proxy=<source>", the client's address the PROXY header carried ("local" for the LOCAL
// command, NoProxyHeader without a header), followed by " cn=<CN> verified=<bool>" when its SSL
// TLV says the client spoke TLS to the proxy.
func ProxiedGreeting(name string, isTLS bool, sni, source string) string {
	return Greeting(name, isTLS, sni) + " proxy=" + source
}

// Listen starts a backend on addr (host:port, port 0 for any). With cert set, it terminates TLS.
func Listen(name, addr string, cert *tls.Certificate) (*Server, error) {
	return listen(name, addr, cert, false)
}

// ListenProxied starts a backend like Listen that first reads a PROXY protocol v2 header when a
// connection starts with one, and greets with ProxiedGreeting.
func ListenProxied(name, addr string, cert *tls.Certificate) (*Server, error) {
	return listen(name, addr, cert, true)
}

// ListenTLS starts a backend like Listen that terminates TLS with config: one that asks clients
// for certificates stands in for a backend that authenticates the gateway.
func ListenTLS(name, addr string, config *tls.Config) (*Server, error) {
	return start(name, addr, config, false)
}

func listen(name, addr string, cert *tls.Certificate, proxyHeader bool) (*Server, error) {
	var config *tls.Config
	if cert != nil {
		config = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	return start(name, addr, config, proxyHeader)
}

func start(name, addr string, config *tls.Config, proxyHeader bool) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Name: name, listener: l, tls: config, proxyHeader: proxyHeader, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is where the backend listens.
func (s *Server) Addr() *net.TCPAddr { return s.listener.Addr().(*net.TCPAddr) }

// Close stops listening and ends open connections.
func (s *Server) Close() {
	s.listener.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	stream, source := conn, ""
	if s.proxyHeader {
		r := bufio.NewReader(conn)
		var err error
		if source, err = proxySource(conn, r); err != nil {
			return
		}
		stream = &bufferedConn{Conn: conn, r: r}
	}
	isTLS, sni := false, ""
	if s.tls != nil {
		tc := tls.Server(stream, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		stream, isTLS, sni = tc, true, tc.ConnectionState().ServerName
	}
	greeting := Greeting(s.Name, isTLS, sni)
	if s.proxyHeader {
		greeting = ProxiedGreeting(s.Name, isTLS, sni, source)
	}
	if _, err := fmt.Fprintln(stream, greeting); err != nil {
		return
	}
	lines := bufio.NewScanner(stream)
	for lines.Scan() {
		if _, err := fmt.Fprintln(stream, lines.Text()); err != nil {
			return
		}
	}
}

// proxyHeaderWait is how long a backend that reads PROXY headers waits for a connection's first
// byte before it takes the connection to have none: a proxy sends its header as soon as the
// connection is up, while a client of this backend's plain TCP, which greets first, sends
// nothing until it is greeted.
const proxyHeaderWait = time.Second

// proxySource reads the PROXY header a connection may start with and says what ProxiedGreeting
// reports of it.
func proxySource(conn net.Conn, r *bufio.Reader) (string, error) {
	_ = conn.SetReadDeadline(time.Now().Add(proxyHeaderWait))
	_, err := r.Peek(1)
	_ = conn.SetReadDeadline(time.Time{})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return NoProxyHeader, nil
	}
	if err != nil {
		return "", err
	}
	h, found, err := ReadProxyHeader(r)
	switch {
	case err != nil:
		return "", err
	case !found:
		return NoProxyHeader, nil
	case h.Local:
		return "local", nil
	case h.Source == nil:
		return "unknown", nil
	case h.SSL != nil && h.SSL.TLS:
		// What the proxy learnt of the client's TLS: see ProxiedGreeting.
		return fmt.Sprintf("%s cn=%s verified=%t", h.Source, h.SSL.CN, h.SSL.CertVerified), nil
	}
	return h.Source.String(), nil
}

// bufferedConn is a connection whose reads go through a reader that may hold bytes read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
