// Package wiring puts the controller's parts together: flags, logging, the source, the Runner,
// the data plane, the status writers, and the servers for metrics and profiles.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/haproxy-gateway/haproxy-gateway/controller"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// DefaultControllerName is the GatewayClass spec.controllerName this controller answers to.
const DefaultControllerName = "haproxy-gateway.io/gatewayclass-controller"

// Main runs the controller with the process's arguments until SIGINT or SIGTERM, and returns
// the exit code: 2 for a flag error, 1 when it stopped on an error.
func Main() int {
	configureGC()
	listInOneRequest()
	f := parseFlags()
	log, err := controller.NewLogger(os.Stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "haproxy-gateway:", err)
		return 2
	}
	ctrllog.SetLogger(controller.Logr(log))
	klog.SetLogger(controller.Logr(log.WithField("logger", "client-go")))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, log); err != nil {
		log.WithError(err).Error("haproxy-gateway stopped")
		return 1
	}
	return 0
}

func run(ctx context.Context, f flags, log *logrus.Logger) error {
	buildOptions, err := buildOptionsFrom(f)
	if err != nil {
		return err
	}
	if err := checkListenFlags(&f, buildOptions); err != nil {
		return err
	}
	var statsAuth *haproxy.StatsAuth
	if f.statsAuthDir != "" {
		if statsAuth, err = statsAuthFrom(f.statsAuthDir); err != nil {
			return err
		}
	}
	metrics := controller.NewMetrics()
	runner := &controller.Runner{Build: buildOptions, Coalesce: f.coalesce, Log: log, Metrics: metrics}
	stopConnection, err := connect(ctx, f, log, runner)
	if err != nil {
		return err
	}
	defer stopConnection()
	// The first list of the objects and HAProxy's start need nothing of each other, and with
	// many routes each takes a part of a second: the list begins now, the Runner waits for it.
	sourceStarted := make(chan error, 1)
	go func() {
		err := runner.Source.Start(ctx)
		if err == nil {
			metrics.CachesSynced()
		}
		sourceStarted <- err
	}()
	runner.SourceStarted = sourceStarted
	defaultCert, err := haproxy.DefaultCertificate(haproxy.DefaultCertificatePath(f.haproxyDir))
	if err != nil {
		return err
	}
	haproxyOutput := controller.HAProxyOutput(log)
	defer haproxyOutput.Close()
	manager, err := haproxy.NewManager(ctx, haproxy.ManagerOptions{
		Binary: f.haproxyBinary,
		Settings: haproxy.Settings{
			Dir: f.haproxyDir, RunDir: f.haproxyRunDir, StatsAddress: f.statsAddress,
			HardStopAfter: f.hardStopAfter, IdleTimeout: f.idleTimeout, DefaultCertificate: defaultCert,
			SpareBackends: f.spareBackends, StatsAuth: statsAuth,
		},
		MasterSocket:      f.masterSocket,
		MinReloadInterval: f.minReloadInterval,
		Output:            haproxyOutput,
	})
	if err != nil {
		return err
	}
	defer manager.Stop()
	metrics.HAProxyStarted()
	log.Info("HAProxy: " + manager.Resumed())
	if f.hardStopAfter < f.idleTimeout {
		log.WithFields(logrus.Fields{"hardStopAfter": f.hardStopAfter, "idleTimeout": f.idleTimeout}).Info(
			"a connection open across a reload is closed -hard-stop-after later (or after 50 reloads), even when it is not idle")
	}
	supervised := make(chan error, 1)
	go func() {
		supervised <- manager.Supervise(ctx, func(event string, err error) {
			entry := log.WithField("logger", "haproxy")
			if err != nil {
				entry = entry.WithError(err)
			}
			entry.Warn(event)
		})
	}()
	runner.DataPlane = controller.HAProxy{Manager: manager}
	log.WithFields(logrus.Fields{"stats": "http://" + f.statsAddress + "/", "statsAuth": statsAuth != nil, "source": f.source, "addressMode": f.addressMode}).Info("haproxy-gateway running")

	if f.metricsAddress != "" {
		if err := serveMetrics(ctx, f.metricsAddress, metrics, runner.Ready, log); err != nil {
			return err
		}
	}
	if f.pprofAddress != "" {
		if err := servePprof(ctx, f.pprofAddress, log); err != nil {
			return err
		}
	}
	errs := make(chan error, 1)
	go func() { errs <- runner.Run(ctx) }()
	select {
	case err := <-errs:
		return err
	case err := <-supervised:
		return err
	}
}

// buildOptionsFrom checks the flags that decide what a build does.
func buildOptionsFrom(f flags) (translate.Options, error) {
	opts := translate.Options{ControllerName: f.controllerName}
	reserved, err := reservedPorts(f)
	if err != nil {
		return opts, err
	}
	opts.Reserved = reserved
	switch f.addressMode {
	case "pool":
		if f.addressPool != "" {
			p, err := netip.ParsePrefix(f.addressPool)
			if err != nil {
				return opts, fmt.Errorf("-address-pool: %w", err)
			}
			opts.AddressPool = p
		}
	case "service":
		if f.source != "kube" {
			return opts, errors.New("-address-mode=service needs -source=kube")
		}
		selector, err := parseSelector(f.serviceSelector)
		if err != nil {
			return opts, fmt.Errorf("-service-selector: %w", err)
		}
		first, last, err := parsePortRange(f.serviceTargetPorts)
		if err != nil {
			return opts, fmt.Errorf("-service-target-ports: %w", err)
		}
		serviceType := corev1.ServiceType(f.serviceType)
		switch serviceType {
		case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort, corev1.ServiceTypeClusterIP:
		default:
			return opts, fmt.Errorf("-service-type %q: want LoadBalancer, NodePort or ClusterIP", f.serviceType)
		}
		opts.Services = &translate.ServiceOptions{
			Namespace: f.serviceNamespace, Type: serviceType, Selector: selector,
			FirstPort: first, LastPort: last, BindAddress: f.serviceBindAddress,
		}
	default:
		return opts, fmt.Errorf("-address-mode %q: want pool or service", f.addressMode)
	}
	return opts, nil
}

type discardStatus struct{}

func (discardStatus) Write(context.Context, *model.Model) error { return nil }
