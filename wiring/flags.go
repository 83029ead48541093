package wiring

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

type flags struct {
	source, filesDir, kubeconfig, statusFile string
	controllerName, addressMode, addressPool string
	serviceType, serviceNamespace            string
	serviceSelector, serviceTargetPorts      string
	serviceBindAddress                       string
	haproxyBinary, haproxyDir, haproxyRunDir string
	masterSocket, statsAddress               string
	metricsAddress, pprofAddress             string
	statsAuthDir                             string
	spareBackends                            int
	coalesce, hardStopAfter, idleTimeout     time.Duration
	minReloadInterval                        time.Duration
	leaderElect                              bool
	leaderElectionID, leaderElectionNS       string
	leaseDuration, renewDeadline, retryLease time.Duration
	logLevel, logFormat                      string
}

// parseFlags uses a flag set of its own: controller-runtime registers a global -kubeconfig.
func parseFlags() flags {
	var f flags
	podNamespace := os.Getenv("POD_NAMESPACE")
	if podNamespace == "" {
		podNamespace = "default"
	}
	flag := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	flag.StringVar(&f.source, "source", "kube", `where objects come from: "kube" (an API server) or "files" (YAML in -files-dir)`)
	flag.StringVar(&f.filesDir, "files-dir", "", "directory of YAML manifests read in -source=files mode, re-read on change")
	flag.StringVar(&f.statusFile, "status-file", "", "in -source=files mode, write the computed status of every object, and the objects refused as invalid, here as YAML")
	flag.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig path (default: in-cluster config, then $KUBECONFIG)")
	flag.StringVar(&f.controllerName, "controller-name", DefaultControllerName, "GatewayClass spec.controllerName to manage")
	flag.StringVar(&f.addressMode, "address-mode", "pool", `how Gateways get addresses: "pool" (one address each from -address-pool, bound by HAProxy) or "service" (a Service each, in front of the HAProxy pods)`)
	flag.StringVar(&f.addressPool, "address-pool", "", "address mode pool: CIDR Gateways take their addresses from, one address each (for example 10.250.0.0/16)")
	flag.StringVar(&f.serviceType, "service-type", "LoadBalancer", "address mode service: type of the Gateways' Services (LoadBalancer, NodePort or ClusterIP)")
	flag.StringVar(&f.serviceNamespace, "service-namespace", podNamespace, "address mode service: namespace of the Gateways' Services, the HAProxy pods' (default $POD_NAMESPACE)")
	flag.StringVar(&f.serviceSelector, "service-selector", "", "address mode service: labels selecting the HAProxy pods, as k=v,k=v")
	flag.StringVar(&f.serviceTargetPorts, "service-target-ports", "10000-19999", "address mode service: range of the ports HAProxy binds for Gateway listeners, one per Gateway and listener port")
	flag.StringVar(&f.serviceBindAddress, "service-bind-address", "", "address mode service: address HAProxy binds those ports on (default: every address)")
	flag.StringVar(&f.haproxyBinary, "haproxy-binary", "haproxy", "HAProxy executable")
	flag.StringVar(&f.haproxyDir, "haproxy-dir", "/var/lib/haproxy-gateway", "directory for haproxy.cfg, maps, crt-lists and certificates")
	flag.StringVar(&f.haproxyRunDir, "haproxy-run-dir", "", "directory for HAProxy's sockets (default: <haproxy-dir>/run); keep it short, unix socket paths are limited to 107 bytes")
	flag.StringVar(&f.masterSocket, "haproxy-master-socket", "", "attach to an HAProxy master started beside the controller on this socket instead of starting one; it must read <haproxy-dir>/haproxy.cfg, which the controller writes first")
	flag.StringVar(&f.statsAddress, "stats-address", "127.0.0.1:8404", "ip:port of HAProxy's stats page (/), Prometheus metrics (/metrics) and /healthz; an IPv6 address may come without brackets, as $(POD_IP):8404 expands")
	flag.StringVar(&f.statsAuthDir, "stats-auth-dir", "", "directory with the files username and password (a mounted Secret): the stats page and /metrics then ask for them (HTTP basic auth); empty: no authentication")
	flag.StringVar(&f.metricsAddress, "metrics-address", "127.0.0.1:8405", "ip:port of the controller's Prometheus metrics (/metrics) and health checks (/healthz, /readyz); empty turns them off")
	flag.StringVar(&f.pprofAddress, "pprof-address", "", "ip:port of Go's profiling endpoints (/debug/pprof/); empty (the default) turns them off")
	flag.IntVar(&f.spareBackends, "spare-backends", 256, "the least number of empty backends kept ready so that new routes need no reload (each reload declares at least a quarter of the route backends up to 2048, and after the pool ran out at least 1024 and as many as the route backends up to 4096); 0 turns them off")
	flag.DurationVar(&f.coalesce, "coalesce", 0, "wait this long after a change for more before rebuilding; 0 (the default) rebuilds at once when idle, and what changes during a rebuild is taken together by the next one")
	flag.DurationVar(&f.hardStopAfter, "hard-stop-after", 5*time.Minute, "longest time an old HAProxy worker keeps open connections after a reload")
	flag.DurationVar(&f.idleTimeout, "idle-timeout", time.Hour, "idle timeout of proxied connections")
	flag.DurationVar(&f.minReloadInterval, "min-reload-interval", time.Second, "least time between two HAProxy reloads; changes that need one sooner wait and share the next, their runtime part goes out at once (0: no limit)")
	flag.BoolVar(&f.leaderElect, "leader-elect", false, "elect one replica, through a Lease, to write status and Services; every replica programs its own HAProxy")
	flag.StringVar(&f.leaderElectionID, "leader-election-id", "haproxy-gateway", "name of the leader election Lease")
	flag.StringVar(&f.leaderElectionNS, "leader-election-namespace", podNamespace, "namespace of the leader election Lease (default $POD_NAMESPACE)")
	flag.DurationVar(&f.leaseDuration, "leader-election-lease-duration", 15*time.Second, "how long followers wait after the leader's last renewal before one takes over")
	flag.DurationVar(&f.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it gives up leading")
	flag.DurationVar(&f.retryLease, "leader-election-retry-period", 2*time.Second, "how often replicas try to take or renew the lease")
	flag.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.StringVar(&f.logFormat, "log-format", "text", "text or json")
	_ = flag.Parse(os.Args[1:])
	if f.haproxyRunDir == "" {
		f.haproxyRunDir = filepath.Join(f.haproxyDir, "run")
	}
	return f
}

// parseSelector reads k=v,k=v.
func parseSelector(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not key=value", pair)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no labels")
	}
	return out, nil
}

// parsePortRange reads first-last.
func parsePortRange(s string) (first, last int32, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not first-last", s)
	}
	x, errA := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	y, errB := strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	if errA != nil || errB != nil || x == 0 || x > y {
		return 0, 0, fmt.Errorf("%q is not a port range first-last within 1-65535", s)
	}
	return int32(x), int32(y), nil
}

// checkListenFlags writes -stats-address, -metrics-address and -pprof-address in the form both
// HAProxy and Go read (see haproxy.ListenAddress), and refuses one a Gateway listener could also
// bind: in pool mode an address of the pool, or every address; in service mode a port of
// -service-target-ports on the address those are bound on. A Gateway must never be able to take
// over, or block, the stats page or the controller's endpoints.
func checkListenFlags(f *flags, opts translate.Options) error {
	for _, l := range []struct {
		name     string
		value    *string
		optional bool
	}{
		{"-stats-address", &f.statsAddress, false},
		{"-metrics-address", &f.metricsAddress, true},
		{"-pprof-address", &f.pprofAddress, true},
	} {
		if *l.value == "" && l.optional {
			continue
		}
		address, ap, err := haproxy.ListenAddress(*l.value)
		if err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		*l.value = address
		if err := gatewaysCouldBind(ap, opts); err != nil {
			return fmt.Errorf("%s %s: %w", l.name, address, err)
		}
	}
	return nil
}

// gatewaysCouldBind says why a Gateway listener could bind the controller's listener ap.
func gatewaysCouldBind(ap netip.AddrPort, opts translate.Options) error {
	everyAddress := !ap.Addr().IsValid() || ap.Addr().IsUnspecified()
	if s := opts.Services; s != nil {
		if int32(ap.Port()) < s.FirstPort || int32(ap.Port()) > s.LastPort {
			return nil
		}
		bind, err := netip.ParseAddr(s.BindAddress)
		if everyAddress || err != nil || bind.IsUnspecified() || bind == ap.Addr() {
			return fmt.Errorf("the port is among -service-target-ports %d-%d, which HAProxy binds for Gateway listeners on the same address", s.FirstPort, s.LastPort)
		}
		return nil
	}
	if !opts.AddressPool.IsValid() {
		return nil
	}
	if everyAddress {
		return fmt.Errorf("it listens on every address, the Gateway addresses of -address-pool %s among them; give it one address, such as the pod IP", opts.AddressPool)
	}
	if opts.AddressPool.Contains(ap.Addr().Unmap()) {
		return fmt.Errorf("the address is in -address-pool %s, which Gateways take their addresses from", opts.AddressPool)
	}
	return nil
}

// statsAuthFrom reads the stats user from dir's files username and password, the layout of a
// Secret with those keys mounted as a volume: the password never appears on a command line. A
// trailing newline, as a file written with echo has, is dropped. The credentials must pass
// haproxy.StatsAuth.Validate; errors never quote them.
func statsAuthFrom(dir string) (*haproxy.StatsAuth, error) {
	read := func(name string) (string, error) {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			// The error names the file, never its content.
			return "", err
		}
		value := strings.TrimSuffix(string(raw), "\n")
		return strings.TrimSuffix(value, "\r"), nil
	}
	username, err := read("username")
	if err != nil {
		return nil, fmt.Errorf("-stats-auth-dir: %w", err)
	}
	password, err := read("password")
	if err != nil {
		return nil, fmt.Errorf("-stats-auth-dir: %w", err)
	}
	auth := &haproxy.StatsAuth{Username: username, Password: password}
	if err := auth.Validate(); err != nil {
		return nil, fmt.Errorf("-stats-auth-dir %s: %w", dir, err)
	}
	return auth, nil
}
