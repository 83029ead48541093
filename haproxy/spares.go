package haproxy

import "maps"

// Spares is which spare backend serves each route backend added since the last reload, by route
// backend name ("tlsroute:ns:name:rule0" -> "spare:3"). HAProxy 2.6 cannot rename a backend
// without a reload, and "set server" has no description field, so the stats page shows these
// routes under their spare's name until the next reload; this map is how the controller names
// them elsewhere (its metrics and log).
func (m *Manager) Spares() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		return nil
	}
	return maps.Clone(m.live.Spares)
}
