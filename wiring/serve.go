package wiring

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller"
	"github.com/sirupsen/logrus"
)

// serveMetrics serves the controller's metrics and health checks until ctx ends: /healthz
// answers while the process runs, /readyz once HAProxy runs a configuration built from the
// objects.
func serveMetrics(ctx context.Context, address string, metrics *controller.Metrics, ready func() bool, log logrus.FieldLogger) error {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("-metrics-address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "HAProxy does not run a configuration built from the objects yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	go func() { <-ctx.Done(); _ = server.Close() }()
	log.WithField("metrics", "http://"+listener.Addr().String()+"/metrics").Info("serving controller metrics and health checks")
	return nil
}
