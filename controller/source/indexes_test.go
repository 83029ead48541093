package source

import (
	"testing"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestOnlyServicesKeepTheNamespaceIndex: the cache's informers keep the namespace index only for
// the kind listed by namespace, and every index of their own.
func TestOnlyServicesKeepTheNamespaceIndex(t *testing.T) {
	newInformer := (&apiHealth{log: logrus.New()}).newInformer(Scheme())
	for _, tc := range []struct {
		obj            runtime.Object
		namespaceIndex bool
	}{
		{&corev1.Service{}, true},
		{&gatewayv1.TLSRoute{}, false},
		{&gatewayv1.HTTPRoute{}, false},
		{&corev1.Secret{}, false},
		{&discoveryv1.EndpointSlice{}, false},
		{&gatewayv1.Gateway{}, false},
	} {
		inf := newInformer(&toolscache.ListWatch{}, tc.obj, 0, toolscache.Indexers{
			toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc,
			sliceServiceIndex:         toolscache.MetaNamespaceIndexFunc,
		})
		indexers := inf.GetIndexer().GetIndexers()
		if _, has := indexers[toolscache.NamespaceIndex]; has != tc.namespaceIndex {
			t.Errorf("%T: namespace index kept %v, want %v", tc.obj, has, tc.namespaceIndex)
		}
		if _, has := indexers[sliceServiceIndex]; !has {
			t.Errorf("%T: index %s dropped", tc.obj, sliceServiceIndex)
		}
	}
}
