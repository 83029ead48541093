package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Sizes of the run. HAPROXY_GATEWAY_BENCH_ROUTES lowers the largest route count for a quick try;
// BENCHMARKS.md is only written at the full size.
const (
	fullRoutes = 10000
	midRoutes  = 1000
	fewRoutes  = 10
	// newRoutes are created one at a time per convergence figure.
	newRoutes = 200
	// convergencePause separates one new route's first handshake from the next create.
	convergencePause = 50 * time.Millisecond
	// endpointUpdates per endpoint propagation figure.
	endpointUpdates = 100
	// setupSamples connections per set-up latency figure, in setupBatches alternating between
	// the large and the small Gateway.
	setupSamples, setupBatches = 2000, 10
	// fewSetupRoutes are on the small Gateway.
	fewSetupRoutes = 10
	// bulkMiB per transfer and bulkRounds transfers each way.
	bulkMiB, bulkRounds = 128, 9
	// handshakeWorkers clients for handshakeSeconds, handshakeRounds times each way.
	handshakeWorkers, handshakeSeconds, handshakeRounds = 8, 2, 5
	// profileSeconds of CPU profile while routes are added at the largest size.
	profileSeconds = 15
	// coldStartProfileSeconds of kube-apiserver CPU profile from the controller's start.
	coldStartProfileSeconds = 10
)

// The three routes every size has: Terminate with each certificate, and one whose endpoints
// change.
const specialRoutes = 3

// TestBenchmarks runs every benchmark against the controller binary, a real kube-apiserver and
// HAProxy, from the largest route count down, and writes BENCHMARKS.md at the repository root.
func TestBenchmarks(t *testing.T) {
	// Minutes of load on the machine: only `make bench` runs it, not `make e2e`.
	if os.Getenv("HAPROXY_GATEWAY_BENCH") == "" {
		t.Skip("benchmarks run with `make bench` (HAPROXY_GATEWAY_BENCH=1)")
	}
	r := newRig(t)
	if err := TuneNetworkNamespace(); err != nil {
		t.Fatal(err)
	}
	res := &Results{Machine: describe(t, r.root), Started: time.Now(), Command: "make bench"}
	res.ControllerCommand = "bin/haproxy-gateway -kubeconfig ... -address-pool " + gatewayPool + " -haproxy-dir ... -haproxy-run-dir ... -stats-address ... -metrics-address ... -pprof-address ... " + strings.Join(controllerFlags, " ")
	largest := fullRoutes
	if v := os.Getenv("HAPROXY_GATEWAY_BENCH_ROUTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < midRoutes {
			t.Fatalf("HAPROXY_GATEWAY_BENCH_ROUTES=%q: want a number of at least %d", v, midRoutes)
		}
		largest = n
	}
	t.Logf("machine: %+v", res.Machine)

	certs := r.setUpBackends()
	r.create(gatewayClass(), gateway())

	// Routes by tier, so each phase deletes down to its size in one call per tier.
	var baseline []client.Object
	baseline = append(baseline,
		tlsRoute("ecdsa", "few", "terminate-ecdsa", "ecdsa.bench.test", "plain", 9080),
		tlsRoute("rsa", "few", "terminate-rsa", "rsa.bench.test", "plain", 9080),
		tlsRoute("endpoints", "few", "passthrough", "endpoints.bench.test", "endpoints", 9443))
	var passthroughNames []string
	for i := range largest - specialRoutes {
		tier := "few"
		switch {
		case i >= midRoutes-specialRoutes:
			tier = "full"
		case i >= fewRoutes-specialRoutes:
			tier = "mid"
		}
		route := passthroughRoute("route", i, tier)
		baseline = append(baseline, route)
		passthroughNames = append(passthroughNames, hostnameOf(route.Name))
	}
	// A second Gateway with fewSetupRoutes routes, for connection set-up against the large one.
	r.create(smallGateway())
	var smallNames []string
	for i := range fewSetupRoutes {
		route := tlsRouteOn(smallGatewayName, fmt.Sprintf("small-%05d", i), "small", "passthrough", "", "passthrough", 9443)
		route.Spec.Hostnames[0] = gatewayv1.Hostname(hostnameOf(route.Name))
		baseline = append(baseline, route)
		smallNames = append(smallNames, hostnameOf(route.Name))
	}
	start := time.Now()
	r.createConcurrently(baseline, 32)
	t.Logf("created %d TLSRoutes in %s", len(baseline), time.Since(start).Round(time.Millisecond))

	// Largest size: cold start, connection set-up against the small Gateway, endpoints,
	// convergence, and a profile.
	cs, apiProfile, p, address := r.coldStart(largest, fewSetupRoutes, passthroughNames, 5*time.Minute)
	res.ColdStart = cs
	res.Profiles = append(res.Profiles, apiProfile)
	var smallAddress string
	r.eventually("small Gateway Programmed", time.Minute, func() error {
		var err error
		smallAddress, err = r.namedGatewayReady(smallGatewayName, fewSetupRoutes, fewSetupRoutes)
		return err
	})
	r.phaseStarted(p)
	res.Setup = r.setupLatency(address, passthroughNames, largest, smallAddress, smallNames)
	res.Endpoints = append(res.Endpoints, r.endpointPropagation(p, largest))
	// After the cold start, so that its figures compare with earlier runs.
	r.createUnrelated(unrelatedObjects)
	before, err := p.MetricSamples("haproxy_gateway_")
	if err != nil {
		t.Fatal(err)
	}
	stopChurn := r.churnUnrelated(unrelatedObjects)
	res.Convergence = append(res.Convergence, r.convergence(address, largest))
	res.Unrelated = Unrelated{Objects: unrelatedObjects, Updates: stopChurn()}
	after, err := p.MetricSamples("haproxy_gateway_")
	if err != nil {
		t.Fatal(err)
	}
	res.Unrelated.Rebuilds, res.Unrelated.Ignored = rebuildCauses(before, after)
	t.Logf("unrelated objects: %d updates during convergence; rebuilds by cause %v; ignored changes %v",
		res.Unrelated.Updates, res.Unrelated.Rebuilds, res.Unrelated.Ignored)
	res.Profiles = append(res.Profiles, r.profileConvergence(p, address, largest), r.profileHeap(p, largest))
	res.Reloads = append(res.Reloads, r.reloads(p, fmt.Sprintf("%d TLSRoutes: cold start, set-up, endpoints, convergence", largest)))
	p.stop()
	r.deleteTiers("new")

	// The same TLSRoutes with as many HTTPRoutes beside them: HTTP request latency against the
	// small Gateway, HTTPRoute convergence.
	httpConv, requests, httpProfile, httpNames := r.httpLargest(largest, passthroughNames[0])
	res.HTTPConvergence, res.Requests = append(res.HTTPConvergence, httpConv), requests
	res.Profiles = append(res.Profiles, httpProfile)
	r.deleteTiers("new", "full", "small")
	if err := r.client.Delete(context.Background(), smallGateway()); err != nil {
		t.Fatal(err)
	}

	// 1,000 routes of each kind: convergence of each.
	p, address = r.warmStart("mid", 2*midRoutes, passthroughNames[0], httpNames[0])
	res.Convergence = append(res.Convergence, r.convergence(address, midRoutes))
	res.Reloads = append(res.Reloads, r.reloads(p, fmt.Sprintf("%d TLSRoutes and %d HTTPRoutes: TLSRoute convergence", midRoutes, midRoutes)))
	res.HTTPConvergence = append(res.HTTPConvergence, r.httpPhaseConvergence(p, address, midRoutes))
	p.stop()
	r.deleteTiers("new", "mid")

	// 10 routes of each kind: endpoints, data-plane overhead.
	p, address = r.warmStart("few", 2*fewRoutes, passthroughNames[0], httpNames[0])
	res.Endpoints = append(res.Endpoints, r.endpointPropagation(p, fewRoutes))
	res.Throughput = r.throughput(p, address, passthroughNames[0])
	res.Handshakes = r.handshakes(p, address, certs)
	res.Reloads = append(res.Reloads, r.reloads(p, fmt.Sprintf("%d TLSRoutes and %d HTTPRoutes: endpoints, throughput, handshakes", fewRoutes, fewRoutes)))
	res.Burst = r.burst(p, address, fewRoutes)
	p.stop()
	r.deleteTiers("few", "burst")

	// No routes: convergence of each kind.
	p, address = r.warmStart("none", 0, "", "")
	res.Convergence = append(res.Convergence, r.convergence(address, 0))
	res.Reloads = append(res.Reloads, r.reloads(p, "0 TLSRoutes and 0 HTTPRoutes: TLSRoute convergence"))
	res.HTTPConvergence = append(res.HTTPConvergence, r.httpPhaseConvergence(p, address, 0))
	p.stop()
	// The scale point's Gateway counts its own routes alone.
	r.deleteTiers("new")

	// Our controller and Traefik at once, on the same API server.
	res.SideBySide = r.sideBySide(certs)

	if largest == fullRoutes {
		res.Scale = r.scalePoint(scaleRoutes)
	}

	slices.SortFunc(res.Convergence, func(a, b Convergence) int { return a.Existing - b.Existing })
	slices.SortFunc(res.Endpoints, func(a, b EndpointPropagation) int { return a.Routes - b.Routes })
	slices.SortFunc(res.Setup, func(a, b SetupLatency) int { return a.Routes - b.Routes })
	slices.SortFunc(res.HTTPConvergence, func(a, b HTTPConvergence) int { return a.Existing - b.Existing })
	slices.SortFunc(res.Requests, func(a, b RequestLatency) int { return a.Routes - b.Routes })
	res.Duration = time.Since(res.Started)
	res.EndLoadAverage = DescribeMachine().LoadAverage
	raw, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(r.outDir, "results.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if largest != fullRoutes {
		t.Logf("results in %s; BENCHMARKS.md is written only with %d routes", filepath.Join(r.outDir, "results.json"), fullRoutes)
		return
	}
	f, err := os.Create(filepath.Join(r.root, "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Render(f, res); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote BENCHMARKS.md")
}

type certificates struct{ passthrough, ecdsa, rsa testtls.Pair }

func newCertificates(t *testing.T) certificates {
	var c certificates
	var err error
	if c.passthrough, err = testtls.New("*.bench.test"); err != nil {
		t.Fatal(err)
	}
	if c.ecdsa, err = testtls.New("ecdsa.bench.test"); err != nil {
		t.Fatal(err)
	}
	if c.rsa, err = testtls.NewRSA("rsa.bench.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

func describe(t *testing.T, root string) Machine {
	m := DescribeMachine()
	if out, err := exec.Command("haproxy", "-v").Output(); err == nil {
		m.HAProxy = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// coldStart starts the controller with routes TLSRoutes present and none of them with status,
// and measures the time until all are Accepted, the Gateway is Programmed with all attached,
// and sampled hostnames answer; then every hostname is checked once and memory is read.
func (r *rig) coldStart(routes, others int, passthroughNames []string, bound time.Duration) (ColdStart, Profile, *controllerProcess, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	// The small Gateway's routes are there too, and are counted.
	accepted := r.watchRoutesAcceptedListed(ctx, &gatewayv1.TLSRouteList{}, routes+others)
	cpuBefore := ProcessTreeCPU()
	apiProfilePath := filepath.Join(r.outDir, fmt.Sprintf("kube-apiserver-cpu-cold-start-%d.pprof", routes))
	apiProfiled := make(chan error, 1)
	go func() { apiProfiled <- r.apiServerCPUProfile(coldStartProfileSeconds, apiProfilePath) }()
	// One log per size: the 50,000-route point starts cold as well.
	p := r.startController(fmt.Sprintf("cold-start-%d", routes))
	cs := ColdStart{Routes: routes}

	programmed := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			// Routes created while statuses are written attach too (newRoutesRoutable).
			if _, err := r.namedGatewayReady(gatewayName, int32(routes), int32(routes+newRoutes)); err == nil {
				programmed <- time.Now()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	address, err := r.gatewayAddress(ctx)
	if err != nil {
		r.t.Fatalf("cold start: no Gateway address: %v", err)
	}
	var sample []string
	step := max(len(passthroughNames)/100, 1)
	for i := 0; i < len(passthroughNames); i += step {
		sample = append(sample, passthroughNames[i])
	}
	cs.Sampled = len(sample)
	routable, err := sampleRoutable(ctx, address+":443", sample)
	if err != nil {
		r.t.Fatalf("cold start: %v", err)
	}
	cs.Routable = routable.Sub(p.Started)
	cs.StartSteps = r.startSteps(p)
	// New routes while the cold start's statuses are still being written: the data plane must
	// not wait for them.
	allAccepted := make(chan time.Time, 1)
	statusesDone := make(chan struct{})
	go func() {
		select {
		case at := <-accepted:
			allAccepted <- at
		case <-ctx.Done():
		}
		close(statusesDone)
	}()
	cs.DuringStatus, _ = r.newRoutesRoutable("during-status", address, statusesDone)
	r.t.Logf("cold start: convergence while statuses were written: %+v", cs.DuringStatus)
	for _, c := range []struct {
		what string
		ch   <-chan time.Time
		into *time.Duration
	}{{"every route Accepted", allAccepted, &cs.Accepted}, {"Gateway Programmed", programmed, &cs.Programmed}} {
		select {
		case at := <-c.ch:
			*c.into = at.Sub(p.Started)
		case <-ctx.Done():
			r.t.Fatalf("cold start with %d routes: %s not within the bound", routes, c.what)
		}
	}
	cs.AllReady = max(cs.Accepted, cs.Programmed, cs.Routable)
	cs.CPUWallSeconds = time.Since(p.Started).Seconds()
	cs.CPUSeconds = map[string]float64{}
	for process, seconds := range ProcessTreeCPU() {
		if used := seconds - cpuBefore[process]; used >= 0.01 {
			cs.CPUSeconds[process] = used
		}
	}
	r.t.Logf("cold start: CPU seconds by process over %.1f s: %v", cs.CPUWallSeconds, cs.CPUSeconds)
	r.t.Logf("cold start with %d routes: Accepted %s, Programmed %s, routable %s", routes, cs.Accepted, cs.Programmed, cs.Routable)

	cs.Verified, cs.VerifyFailed = verifyRoutable(address+":443", passthroughNames, 3*time.Minute)
	r.t.Logf("cold start: %d hostnames checked, %d failed", cs.Verified, cs.VerifyFailed)
	r.memory(p, &cs)
	if err := <-apiProfiled; err != nil {
		r.t.Fatalf("kube-apiserver CPU profile: %v", err)
	}
	top, command := r.profileTop("", apiProfilePath)
	profile := Profile{
		Title:   fmt.Sprintf("kube-apiserver CPU, the first %d s of the cold start with %s routes", coldStartProfileSeconds, count(routes)),
		Command: command,
		Top:     top,
	}
	return cs, profile, p, address
}

// scalePoint creates routes Passthrough routes with none present, starts the controller on them
// cold, then times new routes one at a time.
func (r *rig) scalePoint(routes int) *ScalePoint {
	r.t.Helper()
	var created []client.Object
	var names []string
	for i := range routes {
		route := passthroughRoute("scale", i, "scale")
		created = append(created, route)
		names = append(names, hostnameOf(route.Name))
	}
	start := time.Now()
	r.createConcurrently(created, 32)
	r.t.Logf("created %d TLSRoutes in %s", routes, time.Since(start).Round(time.Millisecond))
	cs, _, p, address := r.coldStart(routes, 0, names, 10*time.Minute)
	r.phaseStarted(p)
	s := &ScalePoint{ColdStart: cs}
	s.Convergence, s.Watched = r.newRoutesRoutable(fmt.Sprintf("new-%d", routes), address, nil)
	r.t.Logf("convergence with %d routes: %+v", routes, s.Convergence)
	// The peak so far, convergence included.
	r.memory(p, &s.ColdStart)
	s.Reloads = r.reloads(p, fmt.Sprintf("%d routes: cold start, convergence", routes))
	// The routes stay: the cluster ends with the run.
	p.stop()
	return s
}

// memory reads the controller's peak RSS and HAProxy's RSS.
func (r *rig) memory(p *controllerProcess, cs *ColdStart) {
	r.t.Helper()
	var err error
	pid := p.Cmd.Process.Pid
	if cs.ControllerPeakRSSKiB, err = MemoryKiB(pid, "VmHWM"); err != nil {
		r.t.Fatal(err)
	}
	if cs.ControllerFileRSSKiB, err = MemoryKiB(pid, "RssFile"); err != nil {
		r.t.Fatal(err)
	}
	if cs.ControllerAnonRSSKiB, err = MemoryKiB(pid, "RssAnon"); err != nil {
		r.t.Fatal(err)
	}
	procs := r.showProc(p)
	if cs.HAProxyMasterRSSKiB, err = MemoryKiB(procs.Master, "VmRSS"); err != nil {
		r.t.Fatal(err)
	}
	if cs.HAProxyWorkerRSSKiB, err = MemoryKiB(procs.Worker, "VmRSS"); err != nil {
		r.t.Fatal(err)
	}
}

// warmStart starts the controller on routes whose status was written before, and waits until
// the Gateway is Programmed with attached routes and a TLSRoute's hostname (tlsName) and an
// HTTPRoute's (httpName) answer, each unless empty.
func (r *rig) warmStart(phase string, attached int, tlsName, httpName string) (*controllerProcess, string) {
	r.t.Helper()
	p := r.startController(phase)
	var address string
	r.eventually(fmt.Sprintf("Gateway Programmed with %d routes", attached), 3*time.Minute, func() error {
		var err error
		address, err = r.gatewayReady(int32(attached))
		return err
	})
	if tlsName != "" {
		r.eventually("a TLSRoute answers", time.Minute, func() error { return Reach(address+":443", tlsName, time.Second) })
	}
	if httpName != "" {
		r.eventually("an HTTPRoute answers", time.Minute, func() error {
			_, err := WaitHTTPRoutable(time.Now(), address+":80", httpName, requestPath, time.Millisecond, time.Second)
			return err
		})
	}
	r.phaseStarted(p)
	r.t.Logf("%s: controller ready with %d routes", phase, attached)
	return p, address
}

// TestRenderFromResults writes BENCHMARKS.md again from the results.json of an earlier full run
// (HAPROXY_GATEWAY_BENCH_RENDER=<path>), for a change to the report's text: the figures, the
// commit and the time stay those of the run that measured them.
func TestRenderFromResults(t *testing.T) {
	path := os.Getenv("HAPROXY_GATEWAY_BENCH_RENDER")
	if path == "" {
		t.Skip("renders BENCHMARKS.md from HAPROXY_GATEWAY_BENCH_RENDER=<results.json>")
	}
	// go test runs in the package's folder; the README names the file from the repository's.
	if !filepath.IsAbs(path) {
		path = filepath.Join(repoRoot(t), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(repoRoot(t), "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Render(f, &res); err != nil {
		t.Fatal(err)
	}
}
