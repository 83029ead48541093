package controller

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// startTimes shows how long the controller took to serve after it started, and how long HAProxy
// takes to load a configuration: with thousands of routes a start is mostly the first list of the
// objects and HAProxy's load of the first full configuration, and an operator sizing a rollout
// (or a probe's initial delay) needs to know which.
type startTimes struct {
	started time.Time
	steps   *prometheus.GaugeVec
	// reached holds the steps recorded: each is set once.
	reached *sync.Map
	loads   prometheus.Histogram
}

// The steps of a start, as the metric's label values, in the order they usually happen.
const (
	stepHAProxyStarted      = "haproxy_started"
	stepCachesSynced        = "caches_synced"
	stepDataPlaneProgrammed = "data_plane_programmed"
)

func newStartTimes(registry *prometheus.Registry) startTimes {
	s := startTimes{
		started: time.Now(),
		reached: &sync.Map{},
		steps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haproxy_gateway_start_seconds",
			Help: "Seconds from the controller's start to each step of it: haproxy_started (HAProxy runs, or a running one was adopted), " +
				"caches_synced (every watched kind listed from the API server), data_plane_programmed (HAProxy took the first configuration built from them).",
		}, []string{"step"}),
		loads: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "haproxy_gateway_reload_seconds",
			Help:    "Time a reload took HAProxy: from the reload command to its new workers answering on the stats socket.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 3, 5, 10},
		}),
	}
	registry.MustRegister(s.steps, s.loads)
	return s
}

// startStep records that the start reached step now; later calls for the same step change nothing.
func (m *Metrics) startStep(step string) {
	if m == nil {
		return
	}
	if _, already := m.reached.LoadOrStore(step, true); !already {
		m.steps.WithLabelValues(step).Set(time.Since(m.started).Seconds())
	}
}

// HAProxyStarted records that HAProxy runs.
func (m *Metrics) HAProxyStarted() { m.startStep(stepHAProxyStarted) }

// CachesSynced records that the source listed every kind it watches.
func (m *Metrics) CachesSynced() { m.startStep(stepCachesSynced) }

// observeReload records how long a reload took HAProxy.
func (m *Metrics) observeReload(r ApplyResult) {
	if m != nil && r.Reloaded && r.ReloadTook > 0 {
		m.loads.Observe(r.ReloadTook.Seconds())
	}
}
