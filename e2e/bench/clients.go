package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Every client here opens full TLS handshakes (no session resumption) and skips certificate
// verification: what is measured is routing and handshake cost, not a PKI.

// Connect opens a TLS connection to addr with server name sni and reads the backend's "ok"
// line, which proves the connection was routed to a backend. The caller closes the connection.
func Connect(addr, sni string, timeout time.Duration) (*tls.Conn, *bufio.Reader, error) {
	dialer := &net.Dialer{Timeout: timeout}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil || line != "ok\n" {
		conn.Close()
		return nil, nil, fmt.Errorf("backend greeting %q: %v", line, err)
	}
	return conn, r, nil
}

// Reach connects once and closes.
func Reach(addr, sni string, timeout time.Duration) error {
	conn, _, err := Connect(addr, sni, timeout)
	if err == nil {
		conn.Close()
	}
	return err
}

// WaitRoutable tries sni on addr every `every` until a connection reaches a backend, and returns
// how long after start that was. It gives up at bound.
func WaitRoutable(start time.Time, addr, sni string, every, bound time.Duration) (time.Duration, error) {
	return waitReached(start, sni, every, bound, func() error { return Reach(addr, sni, time.Second) })
}

// WaitBackend is WaitRoutable through a Passthrough listener whose backend presents certPEM: a
// handshake with any other certificate fails at once. A proxy that answers a name it has no route
// for with a certificate of its own and then waits for a request (Traefik does) is neither taken
// for the backend nor waited for until the timeout.
func WaitBackend(start time.Time, addr, sni string, certPEM []byte, every, bound time.Duration) (time.Duration, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return 0, errors.New("the backend's certificate is not PEM")
	}
	config := &tls.Config{ServerName: sni, InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, block.Bytes) {
			return errors.New("not the backend's certificate")
		}
		return nil
	}}
	return waitReached(start, sni, every, bound, func() error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, config)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(time.Second))
		if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || line != "ok\n" {
			return fmt.Errorf("backend greeting %q: %v", line, err)
		}
		return nil
	})
}

// waitReached runs reach every `every` until it succeeds and returns how long after start that
// was; it gives up at bound.
func waitReached(start time.Time, sni string, every, bound time.Duration, reach func() error) (time.Duration, error) {
	var last error
	for time.Since(start) < bound {
		if last = reach(); last == nil {
			return time.Since(start), nil
		}
		time.Sleep(every)
	}
	return 0, fmt.Errorf("%s not routable within %s: %v", sni, bound, last)
}

// SetupLatencies measures n sequential connections (TCP connect, TLS handshake, backend's first
// line), cycling through names; it stops early at bound.
func SetupLatencies(addr string, names []string, n int, bound time.Duration) (samples []time.Duration, failed int) {
	deadline := time.Now().Add(bound)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		start := time.Now()
		if err := Reach(addr, names[i%len(names)], 2*time.Second); err != nil {
			failed++
			continue
		}
		samples = append(samples, time.Since(start))
	}
	return samples, failed
}

// Throughput transfers size bytes from the backend through one connection and returns MiB/s,
// timed from the request to the last byte.
func Throughput(addr, sni string, size int64, timeout time.Duration) (float64, error) {
	conn, r, err := Connect(addr, sni, timeout)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "bulk %d\n", size); err != nil {
		return 0, err
	}
	got, err := io.Copy(io.Discard, r)
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	if got != size {
		return 0, fmt.Errorf("received %d of %d bytes", got, size)
	}
	return float64(size) / (1 << 20) / elapsed.Seconds(), nil
}

// HandshakeRate runs workers clients that each connect (full handshake, backend's first line)
// and close, over and over for duration, and returns completed connections per second.
func HandshakeRate(addr, sni string, workers int, duration time.Duration) (perSecond float64, failed int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := Reach(addr, sni, 2*time.Second); err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ok.Load() == 0 {
		e, _ := firstErr.Load().(error)
		return 0, bad.Load(), errors.Join(errors.New("no connection succeeded"), e)
	}
	return float64(ok.Load()) / elapsed.Seconds(), bad.Load(), nil
}

// HTTPConn is one HTTP/1.1 connection to addr that carries requests one at a time and stays open
// between them (keep-alive). It dials again when the last request failed or the server closed it.
type HTTPConn struct {
	addr    string
	timeout time.Duration
	conn    net.Conn
	r       *bufio.Reader
}

// NewHTTPConn dials addr on the first request; timeout bounds each dial and each request.
func NewHTTPConn(addr string, timeout time.Duration) *HTTPConn {
	return &HTTPConn{addr: addr, timeout: timeout}
}

// Dial opens the connection unless it is open.
func (c *HTTPConn) Dial() error {
	if c.conn != nil {
		return nil
	}
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return err
	}
	c.conn, c.r = conn, bufio.NewReader(conn)
	return nil
}

// Close closes the connection; the next request dials again.
func (c *HTTPConn) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.r = nil, nil
	}
}

// Get sends GET path with Host host and reads the whole response, returning its status code.
func (c *HTTPConn) Get(host, path string) (int, error) {
	if err := c.Dial(); err != nil {
		return 0, err
	}
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := fmt.Fprintf(c.conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		c.Close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.Close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.Close()
	}
	return resp.StatusCode, err
}

// WaitHTTPRoutable requests path with Host host on addr every `every`, over one keep-alive
// connection, until the answer is 200, and returns how long after start that was. It gives up at
// bound.
func WaitHTTPRoutable(start time.Time, addr, host, path string, every, bound time.Duration) (time.Duration, error) {
	c := NewHTTPConn(addr, time.Second)
	defer c.Close()
	var last error
	for time.Since(start) < bound {
		status, err := c.Get(host, path)
		if err == nil && status == http.StatusOK {
			return time.Since(start), nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("status %d", status)
		}
		time.Sleep(every)
	}
	return 0, fmt.Errorf("%s not routable within %s: %v", host, bound, last)
}

// RequestLatencies times n sequential requests for path over c, cycling through hosts as the
// Host header, each from writing the request to the end of the response body; a request that
// fails or is not answered 200 is counted in failed. A connection c has to open again is opened
// before the request is timed. It stops early at bound.
func RequestLatencies(c *HTTPConn, hosts []string, path string, n int, bound time.Duration) (samples []time.Duration, failed int) {
	deadline := time.Now().Add(bound)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		if err := c.Dial(); err != nil {
			failed++
			continue
		}
		start := time.Now()
		status, err := c.Get(hosts[i%len(hosts)], path)
		if err != nil || status != http.StatusOK {
			failed++
			continue
		}
		samples = append(samples, time.Since(start))
	}
	return samples, failed
}
