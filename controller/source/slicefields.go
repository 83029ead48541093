package source

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	toolscache "k8s.io/client-go/tools/cache"
)

// endpointSliceFieldsRead keeps of an EndpointSlice what builds and the watch read: its identity
// and versions, the Service it belongs to (the one label read), its address type and ports, and
// of each endpoint its addresses and whether it is ready. The cache holds every EndpointSlice of
// the cluster, and most of one is what no Gateway needs: a Pod reference, node and zone for each
// endpoint, and the Service's labels copied onto every slice.
func endpointSliceFieldsRead(next toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			svc, named := s.Labels[discoveryv1.LabelServiceName]
			switch {
			case !named:
				s.Labels = nil
			case len(s.Labels) > 1:
				s.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
			}
			s.Annotations, s.OwnerReferences = nil, nil
			for i, e := range s.Endpoints {
				s.Endpoints[i] = discoveryv1.Endpoint{Addresses: e.Addresses, Conditions: discoveryv1.EndpointConditions{Ready: e.Conditions.Ready}}
			}
		}
		return next(obj)
	}
}
