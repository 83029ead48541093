package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Generous limits: on a loaded 2-core CI machine the API server alone can take half a minute to
// install its bootstrap RBAC policy and priority levels.
const (
	etcdTimeout      = 30 * time.Second
	apiserverTimeout = 2 * time.Minute
	kcmTimeout       = 2 * time.Minute
	pollInterval     = 100 * time.Millisecond
)

// waitFor polls check until it reports done, the process exits, the timeout passes or ctx ends.
// Errors carry the process's recent output, which is where the real reason usually is.
func waitFor(ctx context.Context, p *process, timeout time.Duration, what string, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		if p.exited() {
			return p.errorf("%s exited while waiting for %s", p.name, what)
		}
		ok, err := check(ctx)
		if ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("waiting for %s: %v", what, ctx.Err())
			if lastErr != nil {
				msg += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			return p.errorf("%s", msg)
		case <-time.After(pollInterval):
		}
	}
}

// waitEtcd waits for etcd's /health, so an etcd failure (say, a port taken) is reported as such and
// not as an API server that cannot reach its storage.
func waitEtcd(ctx context.Context, p *process, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, p, etcdTimeout, "etcd health", func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("etcd /health: %s", resp.Status)
	})
}

// waitAPIServer waits for /readyz, which covers etcd connectivity and the bootstrap post-start hooks
// (RBAC roles, priority levels, the default namespaces).
func waitAPIServer(ctx context.Context, p *process, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return waitFor(ctx, p, apiserverTimeout, "kube-apiserver /readyz", func(ctx context.Context) (bool, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Timeout(5 * time.Second).DoRaw(ctx)
		if err != nil {
			return false, fmt.Errorf("%w: %s", err, strings.TrimSpace(string(body)))
		}
		return true, nil
	})
}

// waitDefaultServiceAccount waits until the controller-manager's serviceaccount controller has
// created "default" in the default namespace: proof that it is connected and running controllers.
func waitDefaultServiceAccount(ctx context.Context, p *process, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return waitFor(ctx, p, kcmTimeout, "the default ServiceAccount", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	})
}
