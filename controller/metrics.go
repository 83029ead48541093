package controller

import (
	"net/http"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics are the controller's own Prometheus metrics: how it changes HAProxy and how long a
// change takes to reach it. HAProxy's traffic metrics are on its stats page's /metrics.
type Metrics struct {
	registry        *prometheus.Registry
	reloads         *prometheus.CounterVec
	runtimeOps      *prometheus.CounterVec
	runtimeFailures prometheus.Counter
	applyFailures   prometheus.Counter
	applyLatency    prometheus.Histogram
	leading         prometheus.Gauge
	statusWrites    *prometheus.CounterVec
	quarantined     prometheus.Gauge
	spares          *prometheus.GaugeVec
	// spareRoutes is what spares publishes: the data plane's map of the last apply.
	spareRoutes map[string]string
	// objectChangeLatency: see the object change block at the end of this file.
	objectChangeLatency prometheus.Histogram
	reloadLimit
	rebuildCauses
	stageTimes
	startTimes
}

// NewMetrics registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_reloads_total",
			Help: "HAProxy reloads that succeeded, by reason.",
		}, []string{"reason"}),
		runtimeOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_runtime_operations_total",
			Help: "Runtime API commands that changed HAProxy without a reload, by command, counted with the change that planned them (a deletion may wait seconds).",
		}, []string{"operation"}),
		runtimeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproxy_gateway_runtime_failures_total",
			Help: "Changes the runtime API failed to make or that read back wrong; each fell back to a reload.",
		}),
		applyFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproxy_gateway_apply_failures_total",
			Help: "Configurations HAProxy did not take; the previous one kept serving.",
		}),
		applyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "haproxy_gateway_change_to_applied_seconds",
			Help:    "Time from a change to Gateway API objects or endpoints being seen to HAProxy running it.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haproxy_gateway_leader",
			Help: "1 while this replica is the leader, the one that writes status and Services; 0 while it follows.",
		}),
		statusWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_status_writes_total",
			Help: "Status updates written to the API server, by object kind. Only the leader writes.",
		}, []string{"kind"}),
		quarantined: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haproxy_gateway_refused_objects",
			Help: "Parts of Gateways and routes HAProxy refused, left out of the configuration until they change.",
		}),
		spares: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haproxy_gateway_spare_backend_route",
			Help: "1 for each spare backend serving a route added since the last reload: the stats page shows such a route under the spare's name until HAProxy reloads.",
		}, []string{"spare", "route"}),
	}
	// Go runtime and process metrics come with controller-runtime's registry.
	m.registry.MustRegister(m.reloads, m.runtimeOps, m.runtimeFailures, m.applyFailures, m.applyLatency, m.leading, m.statusWrites, m.quarantined, m.spares)
	m.registerObjectChange()
	m.reloadLimit = newReloadLimit(m.registry)
	m.rebuildCauses = newRebuildCauses(m.registry)
	m.stageTimes = newStageTimes(m.registry)
	m.startTimes = newStartTimes(m.registry)
	return m
}

// Handler serves the metrics in Prometheus' text format, with controller-runtime's (API client
// requests, leader election) after them.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(prometheus.Gatherers{m.registry, ctrlmetrics.Registry}, promhttp.HandlerOpts{})
}

// SetLeading records whether this replica leads.
func (m *Metrics) SetLeading(leading bool) {
	if leading {
		m.leading.Set(1)
	} else {
		m.leading.Set(0)
	}
}

// setQuarantined records how many parts HAProxy refused are left out.
func (m *Metrics) setQuarantined(n int) {
	if m != nil {
		m.quarantined.Set(float64(n))
	}
}

// StatusWritten counts one status update of an object of kind.
func (m *Metrics) StatusWritten(kind string) { m.statusWrites.WithLabelValues(kind).Inc() }

// StatusWriters publishes how many route statuses the status writer may write at once, as writers
// says at each scrape.
func (m *Metrics) StatusWriters(writers func() int) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "haproxy_gateway_status_writers",
		Help: "Route statuses the leader may write at once: 2 to 16, fewer while the API server's answers slow down.",
	}, func() float64 { return float64(writers()) }))
}

// publishSpares makes the spares series say which route each spare serves now. The data plane
// hands on the same map when an apply assigned and freed no spare: then nothing is done, however
// many spares are in use; else only the series that changed are set or deleted.
func (m *Metrics) publishSpares(now map[string]string) {
	if model.SameMap(now, m.spareRoutes) {
		return
	}
	for route, spare := range m.spareRoutes {
		if now[route] != spare {
			m.spares.DeleteLabelValues(spare, route)
		}
	}
	for route, spare := range now {
		if m.spareRoutes[route] != spare {
			m.spares.WithLabelValues(spare, route).Set(1)
		}
	}
	m.spareRoutes = now
}

// observe counts what one apply did; seen is when the change it carries was first noticed, zero
// when unknown.
func (m *Metrics) observe(r ApplyResult, seen time.Time) {
	if m == nil {
		return
	}
	m.publishSpares(r.Spares)
	for op, n := range r.RuntimeOps {
		m.runtimeOps.WithLabelValues(op).Add(float64(n))
	}
	if r.RuntimeFailed {
		m.runtimeFailures.Inc()
	}
	if m.observeDeferred(r) {
		return
	}
	if r.Err != nil {
		// Counted even when nothing was planned: a configuration that cannot be rendered fails too.
		m.applyFailures.Inc()
		return
	}
	if !r.Changed {
		return
	}
	for _, reason := range r.ReloadReasons {
		m.reloads.WithLabelValues(reason).Inc()
	}
	m.observeReload(r)
	if !seen.IsZero() {
		m.applyLatency.Observe(time.Since(seen).Seconds())
	}
}

// --- Time from an object's own change to HAProxy running it ---
//
// change_to_applied_seconds starts when the controller sees a change, so it misses whatever kept
// the change from reaching the controller (an API server outage, a slow watch). This one starts at
// the time the object carries (see source.ChangeClock): second resolution, so a value can be up to
// a second too long, and clocks of API server and controller that disagree shift it.

func (m *Metrics) registerObjectChange() {
	m.objectChangeLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "haproxy_gateway_object_change_to_applied_seconds",
		Help: "Time from a Gateway API object or endpoints change, as the object records it (newest managedFields time, " +
			"creation or deletion; one-second resolution), to HAProxy running it.",
		Buckets: []float64{.5, 1, 2, 3, 5, 10, 30, 60, 120, 300},
	})
	m.registry.MustRegister(m.objectChangeLatency)
}

// observeObjectChange records an apply that ran the change objects say happened at changed; a
// zero changed (no object carried a time) is not recorded.
func (m *Metrics) observeObjectChange(r ApplyResult, changed time.Time) {
	if m == nil || r.Err != nil || !r.Changed || changed.IsZero() {
		return
	}
	// A controller clock behind the API server's would make it negative.
	m.objectChangeLatency.Observe(max(time.Since(changed).Seconds(), 0))
}

// reloadLimit counts the reloads the rate limit held back.
type reloadLimit struct{ deferredReloads prometheus.Counter }

func newReloadLimit(registry *prometheus.Registry) reloadLimit {
	l := reloadLimit{deferredReloads: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haproxy_gateway_reloads_deferred_total",
		Help: "Changes whose reload waited for -min-reload-interval; those that arrive meanwhile share one reload.",
	})}
	registry.MustRegister(l.deferredReloads)
	return l
}

// observeDeferred counts a deferred reload; true means the change is not applied yet, so its
// latency is observed later, when the reload runs.
func (l reloadLimit) observeDeferred(r ApplyResult) bool {
	if r.Deferred <= 0 {
		return false
	}
	l.deferredReloads.Inc()
	return true
}

// rebuildCauses counts what starts rebuilds, and the changes that start none because no Gateway
// or route names the object (see source.ChangeCauses).
type rebuildCauses struct {
	rebuilds, ignored *prometheus.CounterVec
	endpointPasses    prometheus.Counter
	routePasses       prometheus.Counter
	httpRoutePasses   prometheus.Counter
}

func newRebuildCauses(registry *prometheus.Registry) rebuildCauses {
	c := rebuildCauses{
		rebuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_rebuilds_total",
			Help: "Rebuilds, by the kind of object whose change started them (several per rebuild when changes came together); " +
				"\"retry\" for one after a failure or a deferred reload, \"leader\" for one after this replica became the leader.",
		}, []string{"cause"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_changes_ignored_total",
			Help: "Changes to Secrets, Services, EndpointSlices and Namespaces that no Gateway or route names, by kind: they start no rebuild.",
		}, []string{"kind"}),
	}
	c.endpointPasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haproxy_gateway_endpoint_updates_total",
		Help: "Changes of EndpointSlices alone that went to HAProxy without a rebuild: only the servers of the backends of their Services were resolved again.",
	})
	c.routePasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haproxy_gateway_route_updates_total",
		Help: "Changes of routes alone that went to HAProxy without a rebuild: only the changed routes, and the hostnames they claim, were decided again.",
	})
	c.httpRoutePasses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haproxy_gateway_http_route_updates_total",
		Help: "Those of haproxy_gateway_route_updates_total that changed HTTPRoutes or GRPCRoutes: only the virtual hosts of their hostnames were built again.",
	})
	registry.MustRegister(c.rebuilds, c.ignored, c.endpointPasses, c.routePasses, c.httpRoutePasses)
	return c
}

// observeEndpointPass counts one change of EndpointSlices handled without a rebuild.
func (m *Metrics) observeEndpointPass() {
	if m != nil {
		m.endpointPasses.Inc()
	}
}

// observeRoutePass counts one change of routes handled without a rebuild; http when it changed
// HTTPRoutes or GRPCRoutes.
func (m *Metrics) observeRoutePass(http bool) {
	if m == nil {
		return
	}
	m.routePasses.Inc()
	if http {
		m.httpRoutePasses.Inc()
	}
}

// observeRebuild counts one rebuild with what started it: counts by kind, or fallback when no
// object change did.
func (m *Metrics) observeRebuild(causes map[string]int, fallback string) {
	if m == nil {
		return
	}
	if len(causes) == 0 {
		m.rebuilds.WithLabelValues(fallback).Inc()
		return
	}
	for kind := range causes {
		m.rebuilds.WithLabelValues(kind).Inc()
	}
}

// ChangeIgnored counts a change that starts no rebuild.
func (m *Metrics) ChangeIgnored(kind string) {
	if m != nil {
		m.ignored.WithLabelValues(kind).Inc()
	}
}
