package echobasic

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// Server is one pod's set of listeners. Close stops all of them.
type Server struct {
	Mode Mode
	// Addrs are the listening addresses (host:port), for logs and tests.
	Addrs []string

	httpServers []*http.Server
	tcp         []*tcpListener
	closeOnce   sync.Once
}

// Start serves pod on ip (an address this process can bind) in the mode the environment selects.
// gRPC and UDP modes start nothing and return a Server without addresses. If any listener cannot
// start, the ones already started are closed and the error is returned.
func Start(ip string, pod Pod) (*Server, error) {
	s := &Server{Mode: ModeOf(pod.Env)}
	var err error
	switch s.Mode {
	case ModeHTTP:
		err = s.startHTTP(ip, pod)
	case ModeTCP:
		err = s.startTCP(ip, pod)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the listeners and drops open connections, so a deleted pod stops answering at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		for _, h := range s.httpServers {
			_ = h.Close()
		}
		for _, l := range s.tcp {
			l.close()
		}
	})
}

func listen(ip, port string) (net.Listener, error) {
	return (&net.ListenConfig{}).Listen(context.Background(), "tcp", net.JoinHostPort(ip, port))
}

// serveHTTP runs h on l until Close; the error Close causes is expected and dropped.
func serveHTTP(h *http.Server, l net.Listener, useTLS bool) {
	var err error
	if useTLS {
		err = h.ServeTLS(l, "", "")
	} else {
		err = h.Serve(l)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = l.Close()
	}
}
