package bench

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Backend is a server standing in for the pods behind routes. Passthrough backends terminate TLS
// themselves; plain ones receive what the gateway decrypted.
//
// After the handshake (if any) a backend writes "ok\n"; then a client may send "bulk <bytes>\n"
// and receives that many bytes before the backend closes.
type Backend struct {
	listener net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// ListenBackend serves on addr; with cert set it terminates TLS.
func ListenBackend(addr string, cert *tls.Certificate) (*Backend, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	b := &Backend{listener: l, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.serve()
	return b, nil
}

// Addr is where the backend listens.
func (b *Backend) Addr() string { return b.listener.Addr().String() }

// Close stops listening, ends open connections and waits for their handlers.
func (b *Backend) Close() {
	b.listener.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Backend) serve() {
	defer b.wg.Done()
	for {
		conn, err := b.listener.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[conn] = struct{}{}
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			handle(conn)
			b.mu.Lock()
			delete(b.conns, conn)
			b.mu.Unlock()
		}()
	}
}

// bulkChunk is what a bulk transfer writes per call.
var bulkChunk = make([]byte, 256<<10)

func handle(conn net.Conn) {
	defer conn.Close()
	if _, err := io.WriteString(conn, "ok\n"); err != nil {
		return
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(line), "bulk "), 10, 64)
	if err != nil || n <= 0 {
		return
	}
	for n > 0 {
		chunk := bulkChunk[:min(int64(len(bulkChunk)), n)]
		if _, err := conn.Write(chunk); err != nil {
			return
		}
		n -= int64(len(chunk))
	}
}

// HTTPBackend answers every HTTP request with 200 and "ok\n", keeping connections open for the
// next request, so that the gateway's idle connections to it are reused.
type HTTPBackend struct {
	server *http.Server
	done   chan struct{}
}

// ListenHTTPBackend serves HTTP/1.1 on addr.
func ListenHTTPBackend(addr string) (*HTTPBackend, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &HTTPBackend{done: make(chan struct{})}
	b.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok\n")
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(b.done)
		_ = b.server.Serve(l)
	}()
	return b, nil
}

// Close stops listening, ends open connections and waits for the server to return.
func (b *HTTPBackend) Close() {
	b.server.Close()
	<-b.done
}
