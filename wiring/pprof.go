package wiring

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/sirupsen/logrus"
)

// servePprof serves Go's profiling endpoints until ctx ends. They are off unless -pprof-address
// is set: profiles show object names and cost CPU while they run.
func servePprof(ctx context.Context, address string, log logrus.FieldLogger) error {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("-pprof-address: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No write timeout: a CPU profile answers only after the seconds it was asked for.
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	go func() { <-ctx.Done(); _ = server.Close() }()
	log.WithField("pprof", "http://"+listener.Addr().String()+"/debug/pprof/").Info("serving profiles")
	return nil
}
