# haproxy-gateway: `make demo` shows the TLS routing example; `make test` runs every test.
SHELL := /bin/bash
# Gateway API v1.7.0 needs Go 1.27: the go command fetches this toolchain from the Go module proxy the
# first time (a machine's own Go ignores go.mod's go line otherwise).
export GOTOOLCHAIN := go1.27.3
GO ?= go
BIN := $(CURDIR)/bin
UNIT_PACKAGES = $$($(GO) list ./... | grep -v '/e2e')
# Tests that need a private network namespace (a real API server, pod and Gateway addresses).
E2E_PACKAGES = ./e2e/... ./controller/status/...

.PHONY: all deps build controlplane demo demo-check test unit fuzz e2e conformance bench lint helm-check clean

all: build

# Debian packages the demo and the tests run: HAProxy 2.6, openssl and curl as clients, iproute2 and
# util-linux for the test network namespace.
deps:
	@missing=""; \
	for pair in haproxy:haproxy openssl:openssl curl:curl ip:iproute2 unshare:util-linux; do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi; \
	systemctl disable --now haproxy >/dev/null 2>&1 || true

build:
	$(GO) build -o $(BIN)/haproxy-gateway .
	$(GO) build -o $(BIN)/demo-backends ./e2e/cmd/demo-backends

# etcd, kube-apiserver and kube-controller-manager, built once into ~/.cache/haproxy-gateway.
controlplane:
	@bash e2e/controlplane/build.sh

demo: deps build
	@e2e/demo/demo.sh

demo-check: deps build
	@e2e/demo/demo.sh --check

# The Helm chart (deploy/helm/haproxy-gateway): helm lint for every values file, helm template against
# the goldens in its testdata/, its Gateway API CRDs against go.mod's. UPDATE=1 rewrites the goldens.
# helm is built once from the Go module proxy into ~/.cache/haproxy-gateway/tools.
helm-check:
	@bash deploy/helm/check.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) build ./...
	$(GO) vet ./...

# Tests that run a real HAProxy skip without one under plain `go test`; here they must run.
unit: deps
	HAPROXY_GATEWAY_REQUIRE_HAPROXY=1 $(GO) test -count=1 $(UNIT_PACKAGES)

# The fuzz targets of haproxy/ (fuzz_*_test.go), FUZZTIME each, one after the other (go test fuzzes
# one target at a time): object strings through the build to haproxy -c and a running HAProxy's
# runtime API. A failing input is written to haproxy/testdata/fuzz/<target>/, which `make unit`
# runs from then on. The first run builds the instrumented test binary (minutes, then cached). New
# coverage is minimized for 10 s at most, so the time goes to fuzzing. FUZZTIME counts inputs, not
# seconds: a time limit that runs out while an input still waits on HAProxy fails the run ("context
# deadline exceeded") though nothing was found. 1,000 inputs each take about 2 minutes in all.
FUZZ_TARGETS = FuzzTLSRoute FuzzHTTPRoute FuzzListener
FUZZTIME ?= 1000x
fuzz: deps
	@for target in $(FUZZ_TARGETS); do \
	  echo "== $$target, $(FUZZTIME)"; \
	  HAPROXY_GATEWAY_REQUIRE_HAPROXY=1 $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./haproxy || exit 1; \
	done

# e2e/helmchart installs the chart with helm, built before the network namespace cuts the proxy off.
e2e: deps build controlplane
	$(GO) mod download
	@bash deploy/helm/build-helm.sh >/dev/null
	HAPROXY_GATEWAY_E2E=1 bash e2e/netns.sh $(GO) test -count=1 -timeout 20m -v $(E2E_PACKAGES) 2>&1 | tee $(BIN)/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok |panic|\s+\S+_test.go)'; exit $${PIPESTATUS[0]}

# The Gateway API conformance suite, profiles GATEWAY-TLS, GATEWAY-HTTP and GATEWAY-GRPC, against
# the controller binary in the test control plane with the loopback kubelet; the suite's report goes
# to e2e/conformance/report.yaml.
# One line per test (the suite skips tests of features not claimed, unlisted), then the report's
# summary; the whole log is in bin/conformance.log.
CONFORMANCE_REPORT := $(CURDIR)/e2e/conformance/report.yaml
conformance: deps build controlplane
	$(GO) mod download
	HAPROXY_GATEWAY_E2E=1 HAPROXY_GATEWAY_CONFORMANCE=1 HAPROXY_GATEWAY_VERSION=$$(git rev-parse HEAD) \
	HAPROXY_GATEWAY_CONFORMANCE_REPORT=$(CONFORMANCE_REPORT) \
	  bash e2e/netns.sh $(GO) test -count=1 -timeout 45m -v -run '^TestConformance$$' ./e2e/ 2>&1 | tee $(BIN)/conformance.log \
	  | grep -E '^(    )?--- (PASS|FAIL)|^(PASS|FAIL|ok |panic)'; status=$${PIPESTATUS[0]}; \
	grep -E '^  (name|summary):' $(CONFORMANCE_REPORT) 2>/dev/null; exit $$status

test: lint unit fuzz demo-check helm-check e2e conformance

# Benchmarks against the real control plane, controller binary and HAProxy (not part of `make
# test`; 30 to 40 minutes on 2 cores, Traefik's phases and the 50,000-route cold start the longest):
# writes BENCHMARKS.md. One line per measured figure; the whole log is bin/bench.log, and profiles,
# results.json and controller logs are in bin/bench/. perf (Debian's linux-perf) profiles HAProxy.
bench: deps build controlplane
	@command -v perf >/dev/null || { echo "installing: linux-perf"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
	@bash e2e/controlplane/build.sh kubectl >/dev/null
	@bash e2e/bench/traefik/build.sh >/dev/null
	$(GO) mod download
	HAPROXY_GATEWAY_TRAEFIK=$$(bash e2e/bench/traefik/build.sh) HAPROXY_GATEWAY_E2E=1 HAPROXY_GATEWAY_BENCH=1 bash e2e/netns.sh $(GO) test -count=1 -timeout 90m -v -run '^TestBenchmarks$$' ./e2e/bench/ 2>&1 | tee $(BIN)/bench.log \
	  | grep -E '^\s+\S+_test.go:[0-9]+:|^(--- |PASS|FAIL|ok |panic)'; exit $${PIPESTATUS[0]}

clean:
	rm -rf $(BIN)
