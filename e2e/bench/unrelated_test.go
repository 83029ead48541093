package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A busy cluster changes Secrets and EndpointSlices no Gateway cares about all the time. These
// are in the benchmark's namespace, named "unrelated-<n>", and no route names them.
const (
	unrelatedObjects = 10000
	// unrelatedChurnPerSecond updates, half Secrets and half EndpointSlices, while convergence is
	// measured.
	unrelatedChurnPerSecond = 100
)

// createUnrelated creates n kubernetes.io/tls Secrets (the only type the controller watches) and
// n EndpointSlices of Services no route names.
func (r *rig) createUnrelated(n int) {
	r.t.Helper()
	var objects []client.Object
	for i := range n {
		name := fmt.Sprintf("unrelated-%05d", i)
		objects = append(objects, tlsSecret(name, []byte("not a certificate"), []byte("not a key")),
			endpointSlice(name, "tls", 9443, passthroughBackend))
	}
	start := time.Now()
	r.createConcurrently(objects, 32)
	r.t.Logf("created %d unrelated Secrets and %d unrelated EndpointSlices in %s", n, n, time.Since(start).Round(time.Millisecond))
}

// churn updates the unrelated objects in turn at unrelatedChurnPerSecond until stop is called,
// which returns how many updates went through.
func (r *rig) churnUnrelated(n int) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	updates := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second / unrelatedChurnPerSecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			name := fmt.Sprintf("unrelated-%05d", (i/2)%n)
			var obj client.Object = &corev1.Secret{ObjectMeta: objectMeta(name)}
			if i%2 == 1 {
				obj = &discoveryv1.EndpointSlice{ObjectMeta: objectMeta(name + "-bench")}
			}
			patch := client.RawPatch(types.MergePatchType, []byte(fmt.Sprintf(`{"metadata":{"annotations":{"bench.haproxy-gateway.io/churn":"%d"}}}`, i)))
			if err := r.client.Patch(ctx, obj, patch); err == nil {
				updates++
			}
		}
	}()
	return func() int {
		cancel()
		wg.Wait()
		return updates
	}
}

// rebuildCauses is the rise of the controller's rebuild and ignored-change counters since before,
// by cause and by kind.
func rebuildCauses(before, after map[string]float64) (rebuilds, ignored map[string]float64) {
	rebuilds, ignored = map[string]float64{}, map[string]float64{}
	for sample, v := range after {
		delta := v - before[sample]
		if delta <= 0 {
			continue
		}
		if cause, ok := strings.CutPrefix(sample, `haproxy_gateway_rebuilds_total{cause="`); ok {
			rebuilds[strings.TrimSuffix(cause, `"}`)] = delta
		}
		if kind, ok := strings.CutPrefix(sample, `haproxy_gateway_changes_ignored_total{kind="`); ok {
			ignored[strings.TrimSuffix(kind, `"}`)] = delta
		}
	}
	return rebuilds, ignored
}
