package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/haproxy-gateway/haproxy-gateway/controller/build"
)

// reservedPorts are the addresses this process and its HAProxy serve besides Gateways: no
// listener may bind them.
func reservedPorts(f flags) ([]build.ReservedPort, error) {
	var out []build.ReservedPort
	for _, r := range []struct{ flag, address, use string }{
		{"-stats-address", f.statsAddress, "the HAProxy stats page"},
		{"-metrics-address", f.metricsAddress, "the controller's metrics and health checks"},
		{"-pprof-address", f.pprofAddress, "the controller's profiles"},
	} {
		if r.address == "" {
			continue
		}
		host, portText, err := net.SplitHostPort(r.address)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", r.flag, r.address, err)
		}
		port, err := strconv.ParseUint(portText, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%s %q: port: %w", r.flag, r.address, err)
		}
		reserved := build.ReservedPort{Port: int32(port), Use: r.use}
		if host != "" {
			// A name rather than an address could be any address: reserve the port everywhere.
			reserved.Address, _ = netip.ParseAddr(host)
		}
		out = append(out, reserved)
	}
	return out, nil
}
