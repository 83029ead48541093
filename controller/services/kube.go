// Package services publishes the per-Gateway Services of a model: each sends a Gateway's listener
// ports to the ports the proxy pods bind for it.
package services

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KubeWriter creates, updates and deletes the Services this controller owns: those in its
// namespace with its managed-by label and its pod selector. Only the elected leader runs one.
type KubeWriter struct {
	client    client.Client
	namespace string
	selector  map[string]string
	log       logrus.FieldLogger
}

// NewKubeWriter writes Services in namespace that select the proxy pods by selector.
func NewKubeWriter(c client.Client, namespace string, selector map[string]string, log logrus.FieldLogger) *KubeWriter {
	return &KubeWriter{client: c, namespace: namespace, selector: selector, log: log}
}

// Write makes the owned Services exactly the model's.
func (w *KubeWriter) Write(ctx context.Context, wanted []model.GatewayService) error {
	var existing corev1.ServiceList
	if err := w.client.List(ctx, &existing, client.InNamespace(w.namespace),
		client.MatchingLabels{translate.LabelManagedBy: translate.ManagedByValue}); err != nil {
		return fmt.Errorf("list Services: %w", err)
	}
	keep := map[string]bool{}
	var errs []error
	for _, s := range wanted {
		keep[s.Name] = true
		errs = append(errs, w.apply(ctx, s))
	}
	for i := range existing.Items {
		svc := &existing.Items[i]
		if keep[svc.Name] || !maps.Equal(svc.Spec.Selector, w.selector) {
			continue
		}
		if err := w.client.Delete(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete Service %s/%s: %w", svc.Namespace, svc.Name, err))
			continue
		}
		w.log.WithField("service", svc.Namespace+"/"+svc.Name).Info("deleted the Service of a Gateway that is gone")
	}
	return errors.Join(errs...)
}

// apply creates the Service or brings the fields the model decides to it, keeping what the API
// server and others set (cluster IP, node ports, annotations).
func (w *KubeWriter) apply(ctx context.Context, s model.GatewayService) error {
	log := w.log.WithFields(logrus.Fields{"service": s.Namespace + "/" + s.Name, "gateway": s.Gateway})
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		var svc corev1.Service
		err := w.client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.Name}, &svc)
		if apierrors.IsNotFound(err) {
			svc = corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name}}
			setSpec(&svc, s)
			if err := w.client.Create(ctx, &svc); err != nil {
				return err
			}
			log.Info("created Service")
			return nil
		}
		if err != nil {
			return err
		}
		if svc.Labels[translate.LabelManagedBy] != translate.ManagedByValue {
			return fmt.Errorf("a Service of that name exists and is not managed by haproxy-gateway")
		}
		before := svc.DeepCopy()
		setSpec(&svc, s)
		if equality.Semantic.DeepEqual(before, &svc) {
			return nil
		}
		if err := w.client.Update(ctx, &svc); err != nil {
			return err
		}
		log.Info("updated Service")
		return nil
	})
	if err != nil {
		return fmt.Errorf("Service %s/%s of Gateway %s: %w", s.Namespace, s.Name, s.Gateway, err)
	}
	return nil
}

func setSpec(svc *corev1.Service, s model.GatewayService) {
	if svc.Labels == nil {
		svc.Labels = map[string]string{}
	}
	maps.Copy(svc.Labels, s.Labels)
	svc.Spec.Type = corev1.ServiceType(s.Type)
	svc.Spec.Selector = maps.Clone(s.Selector)
	ports := make([]corev1.ServicePort, 0, len(s.Ports))
	for _, p := range s.Ports {
		port := corev1.ServicePort{Name: p.Name, Protocol: corev1.ProtocolTCP, Port: p.Port, TargetPort: intstr.FromInt32(p.TargetPort)}
		// Keep the node port the API server chose for this port, so that clients of it keep working.
		for _, old := range svc.Spec.Ports {
			if old.Port == p.Port && svc.Spec.Type != corev1.ServiceTypeClusterIP {
				port.NodePort = old.NodePort
			}
		}
		ports = append(ports, port)
	}
	svc.Spec.Ports = ports
}
