// Command haproxy-gateway is a Gateway API controller whose data plane is HAProxy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller"
	"github.com/haproxy-gateway/haproxy-gateway/controller/build"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	"github.com/sirupsen/logrus"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

// DefaultControllerName is the GatewayClass spec.controllerName this controller answers to.
const DefaultControllerName = "haproxy-gateway.io/gatewayclass-controller"

type flags struct {
	source, filesDir, kubeconfig, statusFile string
	controllerName, addressPool              string
	haproxyBinary, haproxyDir, haproxyRunDir string
	masterSocket, statsAddress               string
	metricsAddress, pprofAddress             string
	spareBackends                            int
	coalesce, hardStopAfter, idleTimeout     time.Duration
	logLevel, logFormat                      string
}

// parseFlags uses a flag set of its own: controller-runtime registers a global -kubeconfig.
func parseFlags() flags {
	var f flags
	flag := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	flag.StringVar(&f.source, "source", "kube", `where objects come from: "kube" (an API server) or "files" (YAML in -files-dir)`)
	flag.StringVar(&f.filesDir, "files-dir", "", "directory of YAML manifests read in -source=files mode, re-read on change")
	flag.StringVar(&f.statusFile, "status-file", "", "in -source=files mode, write the computed status of every object here as YAML")
	flag.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig path (default: in-cluster config, then $KUBECONFIG)")
	flag.StringVar(&f.controllerName, "controller-name", DefaultControllerName, "GatewayClass spec.controllerName to manage")
	flag.StringVar(&f.addressPool, "address-pool", "", "CIDR Gateways take their addresses from, one address each (for example 10.250.0.0/16)")
	flag.StringVar(&f.haproxyBinary, "haproxy-binary", "haproxy", "HAProxy executable")
	flag.StringVar(&f.haproxyDir, "haproxy-dir", "/var/lib/haproxy-gateway", "directory for haproxy.cfg, maps, crt-lists and certificates")
	flag.StringVar(&f.haproxyRunDir, "haproxy-run-dir", "", "directory for HAProxy's sockets (default: <haproxy-dir>/run); keep it short, unix socket paths are limited to 107 bytes")
	flag.StringVar(&f.masterSocket, "haproxy-master-socket", "", "attach to a running HAProxy master on this socket instead of starting one; it must read <haproxy-dir>/haproxy.cfg")
	flag.StringVar(&f.statsAddress, "stats-address", "127.0.0.1:8404", "address of HAProxy's stats page (/) and Prometheus metrics (/metrics)")
	flag.StringVar(&f.metricsAddress, "metrics-address", "127.0.0.1:8405", "address of the controller's own Prometheus metrics (/metrics); empty turns them off")
	flag.StringVar(&f.pprofAddress, "pprof-address", "", "address of Go's profiling endpoints (/debug/pprof/); empty (the default) turns them off")
	flag.IntVar(&f.spareBackends, "spare-backends", 16, "empty backends kept ready so new routes need no reload; a reload refills them when they run out")
	flag.DurationVar(&f.coalesce, "coalesce", 50*time.Millisecond, "wait this long after a change for more before rebuilding")
	flag.DurationVar(&f.hardStopAfter, "hard-stop-after", 5*time.Minute, "longest time an old HAProxy worker keeps open connections after a reload")
	flag.DurationVar(&f.idleTimeout, "idle-timeout", time.Hour, "idle timeout of proxied connections")
	flag.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.StringVar(&f.logFormat, "log-format", "text", "text or json")
	_ = flag.Parse(os.Args[1:])
	if f.haproxyRunDir == "" {
		f.haproxyRunDir = filepath.Join(f.haproxyDir, "run")
	}
	return f
}

func main() {
	f := parseFlags()
	log, err := controller.NewLogger(os.Stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "haproxy-gateway:", err)
		os.Exit(2)
	}
	ctrl.SetLogger(controller.Logr(log))
	klog.SetLogger(controller.Logr(log.WithField("logger", "client-go")))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, log); err != nil {
		log.WithError(err).Error("haproxy-gateway stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, log *logrus.Logger) error {
	var pool netip.Prefix
	if f.addressPool != "" {
		p, err := netip.ParsePrefix(f.addressPool)
		if err != nil {
			return fmt.Errorf("-address-pool: %w", err)
		}
		pool = p
	}
	src, writer, err := sourceAndStatus(f, log)
	if err != nil {
		return err
	}
	defaultCert, err := haproxy.NewDefaultCertificate()
	if err != nil {
		return err
	}
	manager, err := haproxy.NewManager(ctx, haproxy.ManagerOptions{
		Binary: f.haproxyBinary,
		Settings: haproxy.Settings{
			Dir: f.haproxyDir, RunDir: f.haproxyRunDir, StatsAddress: f.statsAddress,
			HardStopAfter: f.hardStopAfter, IdleTimeout: f.idleTimeout, DefaultCertificate: defaultCert,
			SpareBackends: f.spareBackends,
		},
		MasterSocket: f.masterSocket,
		Output:       log.WithField("logger", "haproxy").WriterLevel(logrus.InfoLevel),
	})
	if err != nil {
		return err
	}
	defer manager.Stop()
	log.WithFields(logrus.Fields{"stats": "http://" + f.statsAddress + "/", "source": f.source}).Info("haproxy-gateway running")

	metrics := controller.NewMetrics()
	if f.metricsAddress != "" {
		if err := serveMetrics(ctx, f.metricsAddress, metrics, log); err != nil {
			return err
		}
	}
	if f.pprofAddress != "" {
		if err := servePprof(ctx, f.pprofAddress, log); err != nil {
			return err
		}
	}
	runner := &controller.Runner{
		Source:    src,
		Build:     build.Options{ControllerName: f.controllerName, AddressPool: pool},
		DataPlane: haproxyDataPlane{manager},
		Status:    writer,
		Coalesce:  f.coalesce,
		Log:       log,
		Metrics:   metrics,
	}
	errs := make(chan error, 1)
	go func() { errs <- runner.Run(ctx) }()
	select {
	case err := <-errs:
		return err
	case <-manager.Master().Exited():
		return errors.New("HAProxy exited")
	}
}

func sourceAndStatus(f flags, log *logrus.Logger) (source.Source, controller.StatusWriter, error) {
	switch f.source {
	case "files":
		if f.filesDir == "" {
			return nil, nil, errors.New("-source=files needs -files-dir")
		}
		var writer controller.StatusWriter = discardStatus{}
		if f.statusFile != "" {
			writer = status.NewFileWriter(f.statusFile)
		}
		return source.NewFiles(f.filesDir, time.Second), writer, nil
	case "kube":
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = f.kubeconfig
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, nil, fmt.Errorf("kubernetes client config: %w", err)
		}
		kube, err := source.NewKube(cfg, source.KubeOptions{Log: log, SyncTimeout: 2 * time.Minute})
		if err != nil {
			return nil, nil, err
		}
		return kube, status.NewKubeWriter(kube.Client(), f.controllerName, log), nil
	}
	return nil, nil, fmt.Errorf("-source %q: want kube or files", f.source)
}

// haproxyDataPlane adapts the HAProxy manager to the controller's DataPlane.
type haproxyDataPlane struct{ m *haproxy.Manager }

func (d haproxyDataPlane) Apply(ctx context.Context, dp model.DataPlane) controller.ApplyResult {
	r := d.m.Apply(ctx, dp)
	result := controller.ApplyResult{Changed: !r.Plan.Empty(), Reloaded: r.Reloaded(), Detail: r.Plan.String(),
		RuntimeFailed: r.RuntimeErr != nil, RuntimeOps: map[string]int{}, Err: r.Err}
	if r.Plan.Reload {
		for _, reason := range r.Plan.Reasons {
			result.ReloadReasons = append(result.ReloadReasons, string(reason.Kind))
		}
	} else {
		for _, op := range r.Plan.Ops {
			result.RuntimeOps[op.Kind.String()]++
		}
	}
	return result
}

type discardStatus struct{}

func (discardStatus) Write(context.Context, *model.Model) error { return nil }

// serveMetrics serves the controller's metrics until ctx ends.
func serveMetrics(ctx context.Context, address string, metrics *controller.Metrics, log logrus.FieldLogger) error {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("-metrics-address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler())
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	go func() { <-ctx.Done(); _ = server.Close() }()
	log.WithField("metrics", "http://"+listener.Addr().String()+"/metrics").Info("serving controller metrics")
	return nil
}
