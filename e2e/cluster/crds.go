package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/source/validate"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// crdEstablishTimeout bounds the wait for the API server to serve a new CRD's resources.
const crdEstablishTimeout = time.Minute

// InstallGatewayAPICRDs creates (or updates) the standard-channel CRDs of the sigs.k8s.io/gateway-api
// version pinned in go.mod, so the CRDs always match the Go types the controller is built with, and
// waits until every one is Established (its resources are served).
func (c *Cluster) InstallGatewayAPICRDs(ctx context.Context) error {
	dir, err := gatewayAPIDir(ctx)
	if err != nil {
		return err
	}
	crdDir := filepath.Join(dir, "config", "crd", "standard")
	crds, err := validate.ReadCRDs(os.DirFS(crdDir))
	if err != nil {
		return fmt.Errorf("%s: %w", crdDir, err)
	}
	return c.InstallCRDs(ctx, crds)
}

// InstallCRDs creates or updates the given CRDs and waits until each is Established.
func (c *Cluster) InstallCRDs(ctx context.Context, crds []*apiextensionsv1.CustomResourceDefinition) error {
	cs, err := apiextensions.NewForConfig(c.RestConfig)
	if err != nil {
		return err
	}
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		if err := applyCRD(ctx, api, crd); err != nil {
			return c.apiserverError("install CRD %s: %v", crd.Name, err)
		}
	}
	for _, crd := range crds {
		err := wait.PollUntilContextTimeout(ctx, pollInterval, crdEstablishTimeout, true, func(ctx context.Context) (bool, error) {
			got, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil // transient; the timeout reports it
			}
			return established(got), nil
		})
		if err != nil {
			return c.apiserverError("wait for CRD %s to be Established: %v", crd.Name, err)
		}
	}
	return nil
}

type crdClient interface {
	Create(context.Context, *apiextensionsv1.CustomResourceDefinition, metav1.CreateOptions) (*apiextensionsv1.CustomResourceDefinition, error)
	Get(context.Context, string, metav1.GetOptions) (*apiextensionsv1.CustomResourceDefinition, error)
	Update(context.Context, *apiextensionsv1.CustomResourceDefinition, metav1.UpdateOptions) (*apiextensionsv1.CustomResourceDefinition, error)
}

// applyCRD creates the CRD, or replaces the spec of an existing one so a second call is harmless.
func applyCRD(ctx context.Context, api crdClient, crd *apiextensionsv1.CustomResourceDefinition) error {
	_, err := api.Create(ctx, crd.DeepCopy(), metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	updated := crd.DeepCopy()
	updated.ResourceVersion = existing.ResourceVersion
	_, err = api.Update(ctx, updated, metav1.UpdateOptions{})
	return err
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

// apiserverError attaches the API server's recent output, where rejected CRDs are explained.
func (c *Cluster) apiserverError(format string, args ...any) error {
	for _, p := range c.procs {
		if p.name == "kube-apiserver" {
			return p.errorf(format, args...)
		}
	}
	return fmt.Errorf(format, args...)
}
