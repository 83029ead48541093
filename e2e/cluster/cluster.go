// Package cluster runs a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)
// as child processes for end-to-end tests. There is no kubelet, scheduler or container runtime: tests
// supply their own stand-in. Run tests inside e2e/netns.sh so pod and Gateway addresses are local.
package cluster

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
)

// ServiceClusterIPRange is the range Services get their cluster IPs from.
const ServiceClusterIPRange = "10.96.0.0/16"

// Options configures Start. The zero value is usable.
type Options struct {
	// WorkDir holds certificates, kubeconfigs, etcd data and (without LogWriter) process logs.
	// Empty: a new temporary folder, removed by Stop unless KeepWorkDir is set.
	WorkDir string
	// KeepWorkDir keeps a temporary WorkDir after Stop, to read the process logs.
	KeepWorkDir bool
	// BinDir holds etcd, kube-apiserver and kube-controller-manager. Empty: the folder printed by
	// e2e/controlplane/build.sh, which builds them on first use.
	BinDir string
	// LogWriter receives the output of all processes, each line prefixed with "[name] ".
	// Nil: one file per process in WorkDir/logs.
	LogWriter io.Writer
	// WithoutClusterTrustBundles starts an API server that does not serve ClusterTrustBundles, as
	// a 1.36 cluster's does by default.
	WithoutClusterTrustBundles bool
}

// Cluster is a running control plane. Stop it with Stop.
type Cluster struct {
	// RestConfig authenticates as an admin in group system:masters.
	RestConfig *rest.Config
	// Kubeconfig is the path of a kubeconfig file with the same identity, usable by kubectl.
	Kubeconfig string
	// WorkDir is the folder holding certificates, data and logs.
	WorkDir string
	// EtcdURL is the client URL of etcd.
	EtcdURL string
	// BinDir holds the control plane's binaries, and kubectl when build.sh was asked for it.
	BinDir string

	procs         []*process // in start order; stopped in reverse
	logFiles      []*os.File
	removeWorkDir bool
	logMu         sync.Mutex // serialises writes of all processes to Options.LogWriter
	stopOnce      sync.Once
	// apiserver and how it was started, for KillAPIServer and RestartAPIServer.
	apiserver      *process
	startAPIServer func() (*process, error)
}

// Start launches etcd, kube-apiserver and kube-controller-manager and returns once the API server is
// ready and the controller-manager has created the default ServiceAccount (which proves it works,
// and which pods need before they can be created). On error everything started is stopped again.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c := &Cluster{WorkDir: opts.WorkDir}
	if c.WorkDir == "" {
		dir, err := os.MkdirTemp("", "e2e-cluster-")
		if err != nil {
			return nil, err
		}
		c.WorkDir, c.removeWorkDir = dir, !opts.KeepWorkDir
	}
	if err := c.start(ctx, opts); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, opts Options) error {
	binDir := opts.BinDir
	if binDir == "" {
		var err error
		if binDir, err = defaultBinDir(ctx); err != nil {
			return err
		}
	}
	c.BinDir = binDir
	for _, d := range []string{"pki", "etcd", "logs", "certs"} {
		if err := os.MkdirAll(filepath.Join(c.WorkDir, d), 0o700); err != nil {
			return err
		}
	}
	pki, err := generatePKI(filepath.Join(c.WorkDir, "pki"))
	if err != nil {
		return err
	}
	ports, err := freeport.Ports(3)
	if err != nil {
		return err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	c.EtcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	host := "https://127.0.0.1:" + strconv.Itoa(apiPort)

	etcd, err := c.run(opts, binDir, "etcd", etcdArgs(c.WorkDir, etcdPort, peerPort))
	if err != nil {
		return err
	}
	if err := waitEtcd(ctx, etcd, c.EtcdURL); err != nil {
		return err
	}

	args := apiserverArgs(c.WorkDir, pki, c.EtcdURL, apiPort, !opts.WithoutClusterTrustBundles)
	c.startAPIServer = func() (*process, error) { return c.run(opts, binDir, "kube-apiserver", args) }
	apiserver, err := c.startAPIServer()
	if err != nil {
		return err
	}
	c.apiserver = apiserver
	c.RestConfig = restConfigFor(host, pki.CAPEM, pki.AdminCertPEM, pki.AdminKeyPEM)
	c.Kubeconfig = filepath.Join(c.WorkDir, "admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, "admin", c.RestConfig); err != nil {
		return err
	}
	if err := waitAPIServer(ctx, apiserver, c.RestConfig); err != nil {
		return err
	}

	kcmConfig := filepath.Join(c.WorkDir, "kube-controller-manager.kubeconfig")
	if err := writeKubeconfig(kcmConfig, "kube-controller-manager", restConfigFor(host, pki.CAPEM, pki.KCMCertPEM, pki.KCMKeyPEM)); err != nil {
		return err
	}
	kcm, err := c.run(opts, binDir, "kube-controller-manager", controllerManagerArgs(c.WorkDir, pki, kcmConfig))
	if err != nil {
		return err
	}
	return waitDefaultServiceAccount(ctx, kcm, c.RestConfig)
}

// run starts one binary with its output going to Options.LogWriter or to WorkDir/logs/<name>.log.
func (c *Cluster) run(opts Options, binDir, name string, args []string) (*process, error) {
	var out io.Writer
	if opts.LogWriter != nil {
		out = &prefixWriter{mu: &c.logMu, w: opts.LogWriter, prefix: []byte("[" + name + "] ")}
	} else {
		f, err := os.OpenFile(filepath.Join(c.WorkDir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		c.logFiles = append(c.logFiles, f)
		out = f
	}
	p, err := startProcess(name, filepath.Join(binDir, name), args, out)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// Stop stops the processes in reverse start order (controller-manager first, etcd last) and waits
// for them to exit, then removes a temporary work dir. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop()
		}
		for _, f := range c.logFiles {
			_ = f.Close()
		}
		if c.removeWorkDir {
			_ = os.RemoveAll(c.WorkDir)
		}
	})
}

// Logs returns the last lines each process printed, keyed by binary name, for test failure output.
func (c *Cluster) Logs() map[string]string {
	logs := make(map[string]string, len(c.procs))
	for _, p := range c.procs {
		logs[p.name] = p.tail.String()
	}
	return logs
}
