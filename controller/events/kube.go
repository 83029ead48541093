package events

import (
	"context"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clientevents "k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// KubeRecorder writes events.k8s.io/v1 Events through client-go's broadcaster, the one
// controller-runtime's GetEventRecorder hands out: it sends in the background and folds repeats
// of one Event into a series. Objects are read from reader (the informer cache) so each Event
// carries the object's UID, which `kubectl describe` matches on.
type KubeRecorder struct {
	reader      client.Reader
	broadcaster clientevents.EventBroadcaster
	recorder    clientevents.EventRecorder
	log         logrus.FieldLogger
}

// NewKubeRecorder starts a broadcaster that sends until ctx ends. controllerName is the
// reportingController of every Event; scheme must know the Gateway API kinds.
func NewKubeRecorder(ctx context.Context, cfg *rest.Config, reader client.Reader, scheme *runtime.Scheme, controllerName string, log logrus.FieldLogger) (*KubeRecorder, error) {
	clients, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	b := clientevents.NewBroadcaster(&clientevents.EventSinkImpl{Interface: clients.EventsV1()})
	if err := b.StartRecordingToSinkWithContext(ctx); err != nil {
		return nil, err
	}
	go func() { <-ctx.Done(); b.Shutdown() }()
	return &KubeRecorder{reader: reader, broadcaster: b, recorder: b.NewRecorder(scheme, controllerName), log: log}, nil
}

// Record sends e on the object it names, unless the object is gone.
func (k *KubeRecorder) Record(ctx context.Context, e Event) {
	obj := newObject(e.Object.Kind)
	log := k.log.WithFields(logrus.Fields{"kind": e.Object.Kind, "object": e.Object.Namespace + "/" + e.Object.Name, "reason": e.Reason})
	if obj == nil {
		log.Debug("event: no such kind, not sent")
		return
	}
	if err := k.reader.Get(ctx, types.NamespacedName{Namespace: e.Object.Namespace, Name: e.Object.Name}, obj); err != nil {
		if !apierrors.IsNotFound(err) {
			log.WithError(err).Debug("event: object not readable, not sent")
		}
		return
	}
	k.recorder.Eventf(obj, nil, e.Type, e.Reason, e.Action, "%s", truncate(e.Note, maxNote))
	log.WithField("type", e.Type).Debug("event sent")
}

func newObject(kind string) client.Object {
	switch kind {
	case "Gateway":
		return &gatewayv1.Gateway{}
	case "GatewayClass":
		return &gatewayv1.GatewayClass{}
	case "TLSRoute":
		return &gatewayv1.TLSRoute{}
	case "HTTPRoute":
		return &gatewayv1.HTTPRoute{}
	case "GRPCRoute":
		return &gatewayv1.GRPCRoute{}
	}
	return nil
}

// LogRecorder writes Events to the log: standalone mode has no API server to keep them.
type LogRecorder struct{ Log logrus.FieldLogger }

func (l LogRecorder) Record(_ context.Context, e Event) {
	log := l.Log.WithFields(logrus.Fields{"kind": e.Object.Kind, "object": e.Object.Namespace + "/" + e.Object.Name, "reason": e.Reason, "note": e.Note})
	if e.Type == Warning {
		log.Warn("event")
		return
	}
	log.Info("event")
}
