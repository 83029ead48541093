package echobasic

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// TCPGreeting is the first line the TCP echo sends on every connection (after the handshake on TLS).
const TCPGreeting = "Gateway API Test TCP Server\n"

// tcpIdentity is the pod part of a TEST answer; the TCP echo adds its ports to it.
type tcpIdentity struct {
	identity
	TCPPort string `json:"tcpport"`
	TLSPort string `json:"tlsport,omitempty"`
}

// tcpAnswer is the JSON line the TCP echo sends for TEST.
type tcpAnswer struct {
	tcpIdentity
	IsTLS bool        `json:"isTLS"`
	TLS   *tcpTLSInfo `json:"tls,omitempty"`
}

// tcpListener serves the line protocol on one port and tracks its connections so close can drop them.
type tcpListener struct {
	listener net.Listener
	id       tcpIdentity
	tls      *tls.Config

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// startTCP serves plain on TCP_PORT (3000) and, when TLS_SERVER_CERT and TLS_SERVER_PRIV_KEY are
// set, TLS on TLS_PORT (8443).
func (s *Server) startTCP(ips []string, pod Pod) error {
	id := tcpIdentity{identity: pod.identity(), TCPPort: pod.port("TCP_PORT", "3000"), TLSPort: pod.port("TLS_PORT", "8443")}
	for _, p := range []string{id.TCPPort, id.TLSPort} {
		if _, err := strconv.Atoi(p); err != nil {
			return fmt.Errorf("port %q is not a number", p)
		}
	}
	cert, err := pod.keyPair("TLS_SERVER_CERT", "TLS_SERVER_PRIV_KEY")
	if err != nil {
		return err
	}
	var cfg *tls.Config
	if cert != nil {
		cfg = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	}
	for _, ip := range ips {
		if err := s.startTCPListener(ip, id.TCPPort, id, nil); err != nil {
			return err
		}
		if cfg == nil {
			continue
		}
		if err := s.startTCPListener(ip, id.TLSPort, id, cfg); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) startTCPListener(ip, port string, id tcpIdentity, cfg *tls.Config) error {
	l, err := listen(ip, port)
	if err != nil {
		return err
	}
	t := &tcpListener{listener: l, id: id, tls: cfg, conns: map[net.Conn]struct{}{}}
	s.tcp = append(s.tcp, t)
	s.Addrs = append(s.Addrs, l.Addr().String())
	t.wg.Add(1)
	go t.accept()
	return nil
}

func (t *tcpListener) accept() {
	defer t.wg.Done()
	for {
		conn, err := t.listener.Accept()
		if err != nil {
			return // closed
		}
		if t.tls != nil {
			conn = tls.Server(conn, t.tls)
		}
		if !t.track(conn) {
			_ = conn.Close()
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer t.untrack(conn)
			t.converse(conn)
		}()
	}
}

// converse greets and then answers TEST, IS_TLS and PING lines; other lines are ignored.
func (t *tcpListener) converse(conn net.Conn) {
	answer := tcpAnswer{tcpIdentity: t.id}
	if tc, ok := conn.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		answer.IsTLS = true
		answer.TLS = tcpTLS(tc.ConnectionState())
	}
	if _, err := io.WriteString(conn, TCPGreeting); err != nil {
		return
	}
	testLine, err := json.Marshal(answer)
	if err != nil {
		return
	}
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		var reply string
		switch lines.Text() {
		case "TEST":
			reply = string(testLine) + "\n"
		case "IS_TLS":
			reply = strconv.FormatBool(answer.IsTLS) + "\n"
		case "PING":
			reply = "PONG\n"
		default:
			continue
		}
		if _, err := io.WriteString(conn, reply); err != nil {
			return
		}
	}
}

func (t *tcpListener) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *tcpListener) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	_ = c.Close()
}

// close stops accepting, closes open connections and waits for their goroutines.
func (t *tcpListener) close() {
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	_ = t.listener.Close()
	t.wg.Wait()
}
