package wiring

import (
	"fmt"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

// reservedPorts are the addresses this process and its HAProxy serve besides Gateways: no
// listener may bind them.
func reservedPorts(f flags) ([]translate.ReservedPort, error) {
	var out []translate.ReservedPort
	for _, r := range []struct{ flag, address, use string }{
		{"-stats-address", f.statsAddress, "the HAProxy stats page"},
		{"-metrics-address", f.metricsAddress, "the controller's metrics and health checks"},
		{"-pprof-address", f.pprofAddress, "the controller's profiles"},
	} {
		if r.address == "" {
			continue
		}
		_, ap, err := haproxy.ListenAddress(r.address)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.flag, err)
		}
		// The zero address (no host) reserves the port on every address.
		out = append(out, translate.ReservedPort{Address: ap.Addr(), Port: int32(ap.Port()), Use: r.use})
	}
	return out, nil
}
