package wiring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller"
	"github.com/haproxy-gateway/haproxy-gateway/controller/events"
	"github.com/haproxy-gateway/haproxy-gateway/controller/leader"
	"github.com/haproxy-gateway/haproxy-gateway/controller/services"
	"github.com/haproxy-gateway/haproxy-gateway/controller/source"
	"github.com/haproxy-gateway/haproxy-gateway/controller/status"
	"github.com/sirupsen/logrus"
	"k8s.io/client-go/tools/clientcmd"
)

// connect gives the runner its source and writers: files, or an API server with status and
// Service writes gated by leader election. The returned stop waits, after ctx ended, until a
// leader has handed its lease on.
func connect(ctx context.Context, f flags, log *logrus.Logger, runner *controller.Runner) (stop func(), err error) {
	nothing := func() {}
	switch f.source {
	case "files":
		if f.filesDir == "" {
			return nil, errors.New("-source=files needs -files-dir")
		}
		runner.Source, runner.Status = source.NewFiles(f.filesDir, time.Second, log), discardStatus{}
		if f.statusFile != "" {
			runner.Status = status.NewFileWriter(f.statusFile)
		}
		// No API server to keep Events: they go to the log.
		runner.Events = events.LogRecorder{Log: log.WithField("logger", "events")}
		runner.Metrics.SetLeading(true)
		return nothing, nil
	case "kube":
	default:
		return nil, fmt.Errorf("-source %q: want kube or files", f.source)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	kubeOpts := source.KubeOptions{Log: log, SyncTimeout: 2 * time.Minute, OnIgnored: runner.Metrics.ChangeIgnored}
	if opts := runner.Build.Services; opts != nil {
		kubeOpts.ServiceNamespace = opts.Namespace
	}
	kube, err := source.NewKube(cfg, kubeOpts)
	if err != nil {
		return nil, err
	}
	statusWriter := status.NewKubeWriter(kube.Client(), f.controllerName, log)
	statusWriter.OnWrite = runner.Metrics.StatusWritten
	runner.Metrics.StatusWriters(statusWriter.RouteWriters)
	runner.Source = kube
	if runner.Events, err = events.NewKubeRecorder(ctx, cfg, kube.Client(), kube.Scheme(), f.controllerName, log.WithField("logger", "events")); err != nil {
		return nil, err
	}
	if opts := runner.Build.Services; opts != nil {
		runner.Services = services.NewKubeWriter(kube.Client(), opts.Namespace, opts.Selector, log)
	}
	if !f.leaderElect {
		runner.Metrics.SetLeading(true)
		runner.Status = startAsyncStatus(ctx, statusWriter, leader.Always{}, log)
		return nothing, nil
	}
	elector := leader.New()
	elector.OnChange = runner.Metrics.SetLeading
	runner.Metrics.SetLeading(false)
	runner.Leader = elector
	runner.Status = startAsyncStatus(ctx, statusWriter, elector, log)
	err = elector.Start(ctx, cfg, leader.Options{
		Namespace: f.leaderElectionNS, Name: f.leaderElectionID,
		LeaseDuration: f.leaseDuration, RenewDeadline: f.renewDeadline, RetryPeriod: f.retryLease, Log: log,
	})
	if err != nil {
		return nil, err
	}
	return func() {
		select {
		case <-elector.Stopped():
		case <-time.After(f.renewDeadline):
		}
	}, nil
}

// startAsyncStatus writes statuses beside the pipeline, while gate says this replica leads: the
// data plane goes first, statuses follow.
func startAsyncStatus(ctx context.Context, w status.Writer, gate leader.Gate, log logrus.FieldLogger) *status.Async {
	async := status.NewAsync(w, gate.Leading, log)
	go async.Run(ctx)
	return async
}
