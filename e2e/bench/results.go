// Package bench measures the gateway against its performance targets (route convergence, endpoint
// propagation, cold start, connection set-up, HTTP request latency, data-plane overhead, reloads)
// with the real controller binary, kube-apiserver and HAProxy, and renders the figures as
// BENCHMARKS.md.
package bench

import "time"

// Results is everything one run measured. Nothing in it is set except by a measurement.
type Results struct {
	Machine Machine
	Started time.Time
	// Duration is how long the whole run took.
	Duration time.Duration
	// EndLoadAverage is /proc/loadavg's three figures when the run ended.
	EndLoadAverage string
	// Command runs the whole harness; ControllerCommand is how every phase starts the controller.
	Command, ControllerCommand string

	Convergence []Convergence
	Endpoints   []EndpointPropagation
	ColdStart   ColdStart
	Setup       []SetupLatency
	Throughput  BulkThroughput
	Handshakes  []HandshakeRates
	Reloads     []ReloadCount
	Burst       Burst
	Unrelated   Unrelated
	Profiles    []Profile
	// Scale is the last phase, at scaleRoutes; nil when the run did not reach it.
	Scale *ScalePoint

	// HTTPConvergence is route convergence of HTTPRoutes, each with the reloads of its phase;
	// Requests is HTTP request latency through two Gateways' HTTP listeners.
	HTTPConvergence []HTTPConvergence
	Requests        []RequestLatency

	// SideBySide is each figure for this project and a peer in the same run; nil when not run.
	SideBySide *SideBySide
}

// HTTPConvergence is route convergence with Existing HTTPRoutes (and as many TLSRoutes) already
// present: API create of a new HTTPRoute to the first request with its hostname that the backend
// answers through the gateway.
type HTTPConvergence struct {
	Existing int
	Latency  Summary
	// Watched is from the same creates to their events at a watch of the benchmark's own.
	Watched Summary
	// Reloads is what happened to HAProxy from the phase's start (once every HTTPRoute was
	// Accepted) to the end of this figure; at the largest size it covers Requests too.
	Reloads ReloadCount
}

// RequestLatency is HTTP requests through the HTTP listener of a Gateway with Routes HTTPRoutes,
// one at a time over keep-alive connections (a new one every batch), each from writing the request
// to the last byte of the response.
type RequestLatency struct {
	Routes  int
	Latency Summary
}

// ScalePoint is the controller started cold on the largest number of routes, then route
// convergence at that size (new routes one at a time, as in Convergence) and the controller's
// peak memory over both.
type ScalePoint struct {
	ColdStart
	Convergence, Watched Summary
	Reloads              ReloadCount
}

// Unrelated is Objects Secrets and as many EndpointSlices that no route names, Updates of them
// made during the convergence figure at the largest size, and what the controller's metrics say
// about that time: rebuilds by cause and ignored changes by kind.
type Unrelated struct {
	Objects, Updates  int
	Rebuilds, Ignored map[string]float64
}

// Burst is Routes new TLSRoutes created with one `kubectl create -f`, Existing routes present.
// Kubectl is how long kubectl took; Routable and Accepted run from its exit (the last create)
// until every new hostname answered once and every route was Accepted. Reloads is what the burst
// cost HAProxy; it is not part of the zero-reload figure.
type Burst struct {
	Routes, Existing            int
	Kubectl, Routable, Accepted time.Duration
	Reloads                     ReloadCount
}

// Convergence is route convergence with Existing routes already present: API create of a new
// TLSRoute to the first TLS handshake through the gateway with its hostname.
type Convergence struct {
	Existing int
	Latency  Summary
	// Watched is from the same creates to their events at a watch of the benchmark's own: the
	// API server's part, before any controller can act.
	Watched Summary
}

// EndpointPropagation is an EndpointSlice update to HAProxy running the new server.
type EndpointPropagation struct {
	Routes  int
	Latency Summary
	// Watched is from the same updates to their events at a watch of the benchmark's own.
	Watched Summary
}

// ColdStart is the controller started with Routes TLSRoutes on one Gateway.
type ColdStart struct {
	Routes int
	// Accepted: every route's status Accepted and ResolvedRefs; Programmed: the Gateway
	// Programmed with every route attached; Routable: every sampled hostname answered through
	// the gateway. All from the controller's start; AllReady is the latest of the three.
	Accepted, Programmed, Routable, AllReady time.Duration
	// DuringStatus is route convergence measured after Routable while the statuses were still
	// being written (new routes one at a time, as in Convergence).
	DuringStatus Summary
	// Sampled hostnames were timed; Verified were all checked once after the measurement.
	Sampled, Verified, VerifyFailed int
	// CPUSeconds is the CPU time each process used from the controller's start until all was
	// ready, over CPUWallSeconds of wall-clock time.
	CPUSeconds           map[string]float64
	CPUWallSeconds       float64
	ControllerPeakRSSKiB int64
	// ControllerFileRSSKiB and ControllerAnonRSSKiB split the controller's RSS when the peak
	// was read: pages of mapped files, nearly all its own binary's (RssFile), and its own
	// memory, the Go heap and stacks (RssAnon).
	ControllerFileRSSKiB, ControllerAnonRSSKiB int64
	HAProxyMasterRSSKiB                        int64
	HAProxyWorkerRSSKiB                        int64
	// StartSteps is where the time until the data plane was programmed went, as the controller's
	// metrics tell it; nil when they were not read.
	StartSteps *StartSteps `json:",omitempty"`
}

// StartSteps are the steps of a controller's start from its own clock
// (haproxy_gateway_start_seconds), and what HAProxy's reloads took meanwhile
// (haproxy_gateway_reload_seconds).
type StartSteps struct {
	HAProxyStarted, CachesSynced, DataPlaneProgrammed time.Duration
	// Reloads is how many reloads ran before the data plane was programmed, ReloadsTook their time.
	Reloads     int
	ReloadsTook time.Duration
}

// SetupLatency is connection set-up (TCP connect, TLS handshake, backend's first byte) through a
// Passthrough route with Routes routes on the Gateway.
type SetupLatency struct {
	Routes  int
	Latency Summary
}

// BulkThroughput compares bulk transfers through a Passthrough route with transfers straight to
// the same backend, alternated in one run.
type BulkThroughput struct {
	TransferMiB                 int
	Gateway, Direct             []float64 // MiB/s per transfer
	GatewayMedian, DirectMedian float64
	Ratio                       float64
	// CPU seconds used by HAProxy's worker and by the benchmark process (client and backend)
	// over all transfers of each way, and their wall-clock seconds.
	GatewayHAProxyCPUSeconds, GatewayClientCPUSeconds, GatewayWallSeconds float64
	DirectHAProxyCPUSeconds, DirectClientCPUSeconds, DirectWallSeconds    float64
	// Spliced is the same transfers through a minimal HAProxy configuration whose Passthrough
	// frontend has the kernel move the bytes (MinimalFrontend.Splice), in the same alternation.
	Spliced                                                               []float64
	SplicedMedian                                                         float64
	SplicedHAProxyCPUSeconds, SplicedClientCPUSeconds, SplicedWallSeconds float64
}

// HandshakeRates compares Terminate connections per second through the generated configuration
// with a hand-written minimal configuration on the same HAProxy binary, alternated in one run.
type HandshakeRates struct {
	Certificate                    string
	Workers                        int
	Seconds                        float64
	Generated, Minimal             []float64
	GeneratedMedian, MinimalMedian float64
	Ratio                          float64
	// Relay is the minimal configuration behind the relay hop of ports with mixed modes (see
	// MinimalFrontend.Relay), in the same alternation; RelayRatio is its median over Minimal's.
	Relay       []float64
	RelayMedian float64
	RelayRatio  float64
	// CPU microseconds HAProxy spent per connection (all runs of each), from /proc.
	GeneratedCPUMicros, MinimalCPUMicros, RelayCPUMicros float64
	Failed                                               int64
	// Profile is where the Gateway's HAProxy worker spent its CPU during one more run through
	// the generated configuration, by perf.
	Profile *PerfProfile `json:",omitempty"`
}

// ReloadCount is what happened to HAProxy during one phase: reloads by the controller's metrics,
// and by HAProxy's master (its reload counter and whether the worker changed).
type ReloadCount struct {
	Phase string
	// MetricReloads is the rise of haproxy_gateway_reloads_total during the phase, by reason.
	MetricReloads map[string]float64
	// MasterReloads is the rise of the master's reload count ("show proc") during the phase.
	MasterReloads int
	WorkerChanged bool
	// RuntimeOperations is haproxy_gateway_runtime_operations_total summed over commands.
	RuntimeOperations float64
	// EndpointUpdates is the rise of haproxy_gateway_endpoint_updates_total: EndpointSlice
	// changes that went to HAProxy without a rebuild.
	EndpointUpdates float64
	// RouteUpdates is the rise of haproxy_gateway_route_updates_total: TLSRoute changes that went
	// to HAProxy without a rebuild (HTTPRoute changes always rebuild).
	RouteUpdates float64
	// StageSeconds and StagePasses are the rise of haproxy_gateway_pass_stage_seconds' sum and
	// count, by stage: the time passes spent in each stage, and how many passes.
	StageSeconds, StagePasses map[string]float64
}

// Profile is the top of a profile taken while a figure was measured: CPU, or heap in use.
type Profile struct {
	Title, Command, Top string
	// Stages are the pipeline's shares of the profile.
	Stages []Stage
}

// SideBySide is the same work measured on this project and on a peer Gateway API implementation
// running against the same API server at the same time, each with a Gateway of its own of the
// same shape, the same routes and the same backends, alternating so both see the same load.
type SideBySide struct {
	// Peer names the peer and its version; PeerCommand is how it was started, its settings.
	Peer, PeerCommand string
	Figures           []PairedFigure
}

// PairedFigure is one figure for both products.
type PairedFigure struct {
	Figure, Unit string
	Ours, Peer   float64
	// LowerIsBetter says which way is ahead: latencies and memory are better lower, rates higher.
	LowerIsBetter bool
	// AheadBy is the target: how many times better ours must be (1: not behind).
	AheadBy float64
	// Count marks a count of events, such as failures, where none is best: the advantage compares
	// one more than each.
	Count bool
	// Detail is what the figure is made of for both (samples, failures).
	Detail string
	// OursCPUMicros and PeerCPUMicros are, for a rate of connections, the CPU microseconds each
	// product's proxy process spent per connection.
	OursCPUMicros float64 `json:",omitempty"`
	PeerCPUMicros float64 `json:",omitempty"`
	// OursClientCPUMicros and PeerClientCPUMicros are what the benchmark's own clients and
	// backends, which share the cores with the proxy, spent per connection through each product.
	OursClientCPUMicros float64 `json:",omitempty"`
	PeerClientCPUMicros float64 `json:",omitempty"`
}

// FreeProxyAdvantage is the most a rate of connections could be ahead with every core busy if
// our proxy cost no CPU at all: the CPU a connection through the peer costs the machine, over what
// one through ours costs the clients and backends alone. 0 when not measured.
func (f PairedFigure) FreeProxyAdvantage() float64 {
	if f.OursClientCPUMicros == 0 {
		return 0
	}
	return (f.PeerCPUMicros + f.PeerClientCPUMicros) / f.OursClientCPUMicros
}

// handshakesFigure starts the name of the side-by-side handshake figures; the certificate follows.
const handshakesFigure = "Terminate handshakes per second, "

// Advantage is how many times better ours is than the peer's: above 1 ahead, below 1 behind.
func (f PairedFigure) Advantage() float64 {
	if f.Count {
		return (f.Peer + 1) / (f.Ours + 1)
	}
	if f.Ours <= 0 || f.Peer <= 0 {
		return 0
	}
	if f.LowerIsBetter {
		return f.Peer / f.Ours
	}
	return f.Ours / f.Peer
}
