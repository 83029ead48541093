package cluster

import (
	"context"
	"errors"
	"syscall"
)

// KillAPIServer ends kube-apiserver with SIGKILL, by its PID, as a crash or a lost node would:
// no draining, connections reset. etcd and the controller-manager keep running.
func (c *Cluster) KillAPIServer() error {
	p := c.apiserver
	if p == nil || p.exited() {
		return errors.New("kube-apiserver is not running")
	}
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}

// RestartAPIServer starts kube-apiserver again with the flags, ports, certificates and etcd it
// had, and returns once it is ready. Stop stops it like the first one.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	if c.apiserver != nil && !c.apiserver.exited() {
		return errors.New("kube-apiserver is still running")
	}
	p, err := c.startAPIServer()
	if err != nil {
		return err
	}
	c.apiserver = p
	return waitAPIServer(ctx, p, c.RestConfig)
}
