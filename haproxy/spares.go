package haproxy

import (
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Spares is which spare backend serves each route backend added since the last reload, by route
// backend name ("tlsroute:ns:name:rule0" -> "spare:3"). HAProxy 2.6 cannot rename a backend
// without a reload, so the stats page shows these routes under their spare's name until the next
// reload, with the route's name on each server line (see bySection); this map is how the
// controller names them elsewhere (its metrics and log). The map is the one the workers' state
// holds, not a copy: it must only be read. It is never changed in place, and a change that assigns
// and frees no spare leaves the same map, so a caller that keeps the last one can tell.
func (m *Manager) Spares() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		return nil
	}
	return m.live.Spares
}

// sparePool is how many spare backends a configuration that a reload loads declares, so that
// bursts of new routes are served without the next reload:
//   - none when floor (-spare-backends) is 0: every new route backend reloads;
//   - at least floor: a burst of that many routes never reloads;
//   - a quarter of the route backends, up to quarterSpares, so the headroom grows with the
//     gateway;
//   - after the pool alone caused a reload (ranOut), as many as the route backends, at least
//     burstSpares and up to ranOutSpares: a burst that outran the pool is likely to go on, and
//     the pool grows with it, so a burst of n routes costs about log2(n/1024) reloads up to
//     4,096 and one per 4,096 routes beyond.
//
// Between reloads the pool keeps its size: the spares are declared in haproxy.cfg, and a new size
// is a new configuration. Each spare is an empty backend on the stats page and about 12 KiB of
// each worker's memory whether a route uses it or not, so what the pool holds idle is bounded
// (above floor): about 24 MiB at quarterSpares, 48 MiB at ranOutSpares. A reload that is not
// caused by the pool running out shrinks it back.
func sparePool(floor, routeBackends int, ranOut bool) int {
	if floor == 0 {
		return 0
	}
	n := max(floor, min((routeBackends+3)/4, quarterSpares))
	if ranOut {
		n = max(n, min(max(routeBackends, burstSpares), ranOutSpares))
	}
	return n
}

const (
	// burstSpares is the least pool after it ran out: a burst of 1,000 routes costs one reload.
	burstSpares = 1024
	// quarterSpares bounds the quarter of the route backends, ranOutSpares the pool after it ran
	// out: past them a gateway keeps its headroom, not a share of its size, idle in every worker.
	quarterSpares = 2048
	ranOutSpares  = 4096
)

// routeBackends counts the route backends of dp for HTTP routes, or of the others: each kind has
// its own spares.
func routeBackends(dp model.DataPlane, http bool) int {
	n := 0
	for _, b := range dp.Backends {
		if b.HTTP == http {
			n++
		}
	}
	return n
}

// servesHTTP reports whether some socket of dp routes HTTP: only then are HTTP spares declared.
func servesHTTP(dp model.DataPlane) bool {
	for _, s := range dp.Sockets {
		if s.Protocol == model.SocketHTTP || len(s.HTTPS) > 0 {
			return true
		}
	}
	return false
}

// spareCount is how many spares for HTTP route backends, or for the others, c declares.
func (c *Config) spareCount(http bool) int {
	n := 0
	for _, s := range c.Spares {
		if isHTTPSpare(s) == http {
			n++
		}
	}
	return n
}

// ranOut reports whether a plan reloads only because new route backends outnumber the free
// spares, and among them those of one kind (HTTP route backends or the others): a burst outran
// that pool. A reload that was due anyway (the first configuration with routes, as on a cold
// start, or new listeners) sizes the pools as usual: the routes it brings are no sign of a burst
// going on, and doubling the backends would double HAProxy's parse time and memory.
func ranOut(p Plan, http bool) bool {
	ran := false
	for _, r := range p.Reasons {
		switch r.Kind {
		case SparesUsedUp:
			ran = ran || !http
		case HTTPSparesUsedUp:
			ran = ran || http
		default:
			return false
		}
	}
	return ran
}
