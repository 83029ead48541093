package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stageTimes measures where a pass spends its time, so that an operator (and the benchmark) can
// tell which stage grows with the objects.
type stageTimes struct {
	stages *prometheus.HistogramVec
	// routeResults counts the routes a build decided anew and those whose result it reused.
	routeResults *prometheus.CounterVec
}

// The stages of a pass, as the metric's label values.
const (
	stageSnapshot  = "snapshot"
	stageBuild     = "build"
	stageApply     = "apply"
	stagePublish   = "publish"
	stageEndpoints = "endpoints"
)

func newStageTimes(registry *prometheus.Registry) stageTimes {
	s := stageTimes{stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "haproxy_gateway_pass_stage_seconds",
		Help: "Time one pass spent in each stage: snapshot (read the objects), build (Gateway API semantics), " +
			"apply (render, plan and program HAProxy), publish (log what changed, hand status, Events and Services to their writers); " +
			"endpoints is a whole pass for a change of EndpointSlices alone.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"stage"}),
		routeResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproxy_gateway_route_results_total",
			Help: "Routes a build decided: built (the route, a Service it names or a Gateway-wide object changed) or reused from the build before.",
		}, []string{"outcome"}),
	}
	registry.MustRegister(s.stages, s.routeResults)
	return s
}

// observeBuild counts the route results a build made and reused.
func (m *Metrics) observeBuild(built, reused int) {
	if m != nil {
		m.routeResults.WithLabelValues("built").Add(float64(built))
		m.routeResults.WithLabelValues("reused").Add(float64(reused))
	}
}

// since records the time from start to now for stage, and returns now for the next stage.
func (m *Metrics) since(stage string, start time.Time) time.Time {
	now := time.Now()
	if m != nil {
		m.stages.WithLabelValues(stage).Observe(now.Sub(start).Seconds())
	}
	return now
}
