// Package echo runs small TCP servers that stand in for backends: each greets with its name,
// says whether it terminated TLS and which server name it saw, then echoes lines back.
package echo

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
)

// Server is one listening backend.
type Server struct {
	Name     string
	listener net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// Greeting is the first line a backend sends: "<name> tls=<bool> sni=<name>".
func Greeting(name string, isTLS bool, sni string) string {
	return fmt.Sprintf("%s tls=%t sni=%s", name, isTLS, sni)
}

// Listen starts a backend on addr (host:port, port 0 for any). With cert set, it terminates TLS.
func Listen(name, addr string, cert *tls.Certificate) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	s := &Server{Name: name, listener: l, conns: map[net.Conn]struct{}{}}
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
	isTLS, sni := false, ""
	if tc, ok := conn.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			return
		}
		isTLS, sni = true, tc.ConnectionState().ServerName
	}
	if _, err := fmt.Fprintln(conn, Greeting(s.Name, isTLS, sni)); err != nil {
		return
	}
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		if _, err := fmt.Fprintln(conn, lines.Text()); err != nil {
			return
		}
	}
}
