// Package probe opens TLS connections through the gateway the way a client would and reports what
// answered: the certificate presented and the backend's greeting line.
package probe

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Answer is what one connection saw.
type Answer struct {
	// Greeting is the first line the backend sent (see package echo).
	Greeting string
	// Serial is the serial number of the certificate the TLS server presented.
	Serial *big.Int
	// Names are the DNS names in that certificate.
	Names []string
	// Local is the client's own address of the connection ("ip:port"): the source address a
	// proxy passes on to the backend.
	Local string
}

// TLS connects to addr with server name sni, checks the echo of one line, and returns what
// answered. Certificates are not verified: tests compare serials instead.
func TLS(addr, sni string) (Answer, error) {
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return Answer{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	peer := conn.ConnectionState().PeerCertificates
	if len(peer) == 0 {
		return Answer{}, fmt.Errorf("no certificate presented")
	}
	greeting, err := exchange(conn)
	if err != nil {
		return Answer{}, err
	}
	return Answer{Greeting: greeting, Serial: peer[0].SerialNumber, Names: peer[0].DNSNames, Local: conn.LocalAddr().String()}, nil
}

// Rejected reports nil when the gateway accepts a connection to addr with server name sni and
// then closes it without a TLS handshake, which is how unknown names must be refused.
func Rejected(addr, sni string) error {
	tc, err := handshake(addr, sni)
	if tc == nil {
		return err
	}
	defer tc.Close()
	if err == nil {
		return fmt.Errorf("handshake for %q succeeded; want the connection closed", sni)
	}
	return nil
}

// Refused reports nil when a connection to addr with server name sni ends before any byte of a
// backend comes: closed before the TLS handshake, failed by it, or closed right after it. The
// last is how a port whose listeners all terminate TLS refuses a name a listener claims without
// a route: its handshake comes before the route lookup.
func Refused(addr, sni string) error {
	tc, err := handshake(addr, sni)
	if tc == nil {
		return err
	}
	defer tc.Close()
	if err != nil {
		return nil
	}
	if n, err := tc.Read(make([]byte, 1)); n > 0 || err == nil {
		return fmt.Errorf("%q was answered after the handshake; want the connection closed", sni)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("%q: the connection stayed open after the handshake; want it closed", sni)
	}
	return nil
}

// handshake connects to addr and makes a TLS handshake with server name sni, with 8 s for the
// exchange: a nil connection when the TCP connection was not accepted, else the connection and
// the handshake's error.
func handshake(addr, sni string) (*tls.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connection not accepted: %w", err)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	_ = tc.SetDeadline(time.Now().Add(8 * time.Second))
	return tc, tc.Handshake()
}

func exchange(conn net.Conn) (string, error) {
	r := bufio.NewReader(conn)
	greeting, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read greeting: %w", err)
	}
	if _, err := fmt.Fprintln(conn, "ping"); err != nil {
		return "", err
	}
	echoed, err := r.ReadString('\n')
	if err != nil || strings.TrimSpace(echoed) != "ping" {
		return "", fmt.Errorf("echo: got %q, %v", echoed, err)
	}
	return strings.TrimSpace(greeting), nil
}
