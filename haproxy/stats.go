package haproxy

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// StatsAuth is the one user HAProxy's stats frontend (the stats page and /metrics) asks for with
// HTTP basic authentication. Its password is written into haproxy.cfg, which is then written
// mode 0600; it never goes into a log line or an error.
type StatsAuth struct {
	Username, Password string
}

// String keeps the credentials out of anything that prints a StatsAuth or Settings with %v.
func (StatsAuth) String() string { return "StatsAuth{redacted}" }

// GoString does the same for %#v.
func (a StatsAuth) GoString() string { return a.String() }

// maxCredentialLength bounds each credential so that the userlist line stays far below HAProxy's
// line length limits.
const maxCredentialLength = 256

// Validate checks the credentials against what haproxy.cfg and basic authentication can carry. The
// errors never quote the values.
//
// Both must be printable ASCII without spaces: syntax.Quote makes any such string one word of
// haproxy.cfg, and nothing else could be typed reliably into a browser's or a scraper's basic
// auth either. The username may not hold ':', which ends it in a basic auth header (RFC 7617).
func (a StatsAuth) Validate() error {
	for _, c := range []struct{ what, value string }{{"username", a.Username}, {"password", a.Password}} {
		if c.value == "" {
			return fmt.Errorf("stats auth %s is empty", c.what)
		}
		if len(c.value) > maxCredentialLength {
			return fmt.Errorf("stats auth %s is longer than %d bytes", c.what, maxCredentialLength)
		}
		for i := 0; i < len(c.value); i++ {
			if b := c.value[i]; b <= ' ' || b > '~' {
				return fmt.Errorf("stats auth %s holds a space, a control character or a non-ASCII byte; only printable ASCII without spaces is allowed", c.what)
			}
		}
	}
	if strings.Contains(a.Username, ":") {
		return errors.New("stats auth username holds ':', which basic authentication cannot carry in a username")
	}
	return nil
}

// ListenAddress reads the address of the stats frontend or of one of the controller's own
// listeners: "ip:port", "[ipv6]:port", or ":port" for every address. An IPv6 address without
// brackets, "fd00::7:8404", is read as address and port: that is what the chart's
// "$(POD_IP):8404" becomes when Kubernetes expands an IPv6 pod IP. It returns the address as
// both HAProxy's bind and Go's net.Listen read it (an IPv6 host in brackets) and its parts, the
// host unset for every address. The text goes into haproxy.cfg as it is: nothing else passes.
func ListenAddress(address string) (string, netip.AddrPort, error) {
	bad := fmt.Errorf("%q is not host:port with an IP address as host, or no host for every address, and a port 1-65535", address)
	if rest, ok := strings.CutPrefix(address, ":"); ok && !strings.Contains(rest, ":") {
		port, err := strconv.ParseUint(rest, 10, 16)
		if err != nil || port == 0 {
			return "", netip.AddrPort{}, bad
		}
		return address, netip.AddrPortFrom(netip.Addr{}, uint16(port)), nil
	}
	if i := strings.LastIndexByte(address, ':'); i > 0 && !strings.HasPrefix(address, "[") && strings.Count(address, ":") > 1 {
		address = "[" + address[:i] + "]" + address[i:]
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
		return "", netip.AddrPort{}, bad
	}
	return ap.String(), ap, nil
}
