package bench

import (
	"fmt"
	"os"
	"strings"
)

// TuneNetworkNamespace lets the benchmark open tens of thousands of short connections a minute
// to the same few backends: TIME_WAIT ports are reused for new outgoing connections and the
// whole ephemeral port range is used. Without it, HAProxy runs out of source ports towards a
// backend during the handshake figures. These settings are per network namespace: call it only
// inside the one the test made (e2e/netns.sh).
func TuneNetworkNamespace() error {
	if err := onlyLoopback(); err != nil {
		return err
	}
	for path, value := range map[string]string{
		"/proc/sys/net/ipv4/tcp_tw_reuse":        "1",
		"/proc/sys/net/ipv4/ip_local_port_range": "1024 65535",
	} {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// onlyLoopback refuses to go on unless this process's network namespace has no interface but
// lo, which is what e2e/netns.sh makes: a host's namespace has others.
func onlyLoopback() error {
	raw, err := os.ReadFile("/proc/self/net/dev")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		name, _, ok := strings.Cut(line, ":")
		if name = strings.TrimSpace(name); ok && name != "lo" {
			return fmt.Errorf("network interface %s present: not in a network namespace of its own; run through e2e/netns.sh", name)
		}
	}
	return nil
}
