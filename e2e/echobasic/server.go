package echobasic

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"

	"google.golang.org/grpc"
)

// Server is one pod's set of listeners. Close stops all of them.
type Server struct {
	Mode Mode
	// Addrs are the listening addresses (host:port), for logs and tests.
	Addrs []string

	httpServers []*http.Server
	grpcServers []*grpc.Server
	tcp         []*tcpListener
	closeOnce   sync.Once
}

// Start serves pod on ip (an address this process can bind) in the mode the environment selects.
// UDP mode starts nothing and returns a Server without addresses. If any listener cannot start,
// the ones already started are closed and the error is returned.
func Start(ip string, pod Pod) (*Server, error) {
	return StartOn([]string{ip}, pod)
}

// StartOn is Start for a pod with several addresses (one per IP family): every port is served on
// each of them, by the same handlers, as the image's wildcard listeners would.
func StartOn(ips []string, pod Pod) (*Server, error) {
	if len(ips) == 0 {
		return nil, errors.New("no address to serve on")
	}
	s := &Server{Mode: ModeOf(pod.Env)}
	var err error
	switch s.Mode {
	case ModeHTTP:
		err = s.startHTTP(ips, pod)
	case ModeTCP:
		err = s.startTCP(ips, pod)
	case ModeGRPC:
		err = s.startGRPC(ips, pod)
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
		for _, g := range s.grpcServers {
			g.Stop()
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
