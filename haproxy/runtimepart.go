package haproxy

import (
	"context"
	"slices"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// When a reload fails, HAProxy keeps running the previous configuration, and whatever else the
// change carried would wait for the next successful reload: an endpoint change of one Gateway
// would be held back by a refused route of another. applyRuntimePart sends what the runtime API
// can make of the change on its own instead, so endpoints, weights and SNI routes keep flowing
// while the reload's part waits.

// applyRuntimePart moves what runs towards dp as far as the runtime API can, after a reload of dp
// failed, and returns the plan it applied (empty when nothing could be).
func (m *Manager) applyRuntimePart(ctx context.Context, dp model.DataPlane) (Plan, error) {
	if m.live == nil {
		return Plan{}, nil
	}
	plan, cfg, part, err := planRuntimePart(m.live, m.liveModel, dp, m.liveSettings())
	if err != nil || plan.Empty() {
		return Plan{}, err
	}
	// A failure leaves part of the ops applied; the next reload that works sets everything
	// straight from the files, as after any runtime failure.
	live, err := m.applyRuntime(ctx, plan, cfg)
	if err != nil {
		return plan, err
	}
	m.setLive(live, part, false)
	return plan, nil
}

// planRuntimePart plans the widest of runtimeParts that needs no reload. It is pure.
func planRuntimePart(live *Live, running, wanted model.DataPlane, s Settings) (Plan, *Config, model.DataPlane, error) {
	for _, part := range runtimeParts(running, wanted) {
		cfg, err := Render(part, s)
		if err != nil {
			return Plan{}, nil, part, err
		}
		if plan := PlanChange(live, cfg); !plan.Reload {
			return plan, cfg, part, nil
		}
	}
	return Plan{}, nil, running, nil
}

// runtimeParts are data planes between running and wanted that differ from running only where
// the runtime API can follow, widest first:
//   - on every socket running and wanted share, wanted's Passthrough and Terminate routes with
//     their backends (map entries, servers, spare backends), and wanted's servers everywhere;
//   - wanted's servers only (endpoints and weights).
//
// Sockets, certificates, HTTPS names, virtual hosts and which HTTP backends exist stay as they
// run: those are what a reload is for, and a certificate is what HAProxy may have refused.
func runtimeParts(running, wanted model.DataPlane) []model.DataPlane {
	return []model.DataPlane{withWantedSNIRoutes(running, wanted), withWantedServers(running, wanted)}
}

// withWantedServers is running with the servers wanted gives each of its backends.
func withWantedServers(running, wanted model.DataPlane) model.DataPlane {
	out := running
	out.Backends = slices.Clone(running.Backends)
	for i, b := range out.Backends {
		if w, ok := findBackend(wanted.Backends, b.ID); ok {
			// A copy: the backends are running's, which stays as it is.
			withServers := *b
			withServers.Servers = w.Servers
			out.Backends[i] = &withServers
		}
	}
	return out
}

// withWantedSNIRoutes is running with wanted's TLS routes on the sockets both have, the backends
// those routes need, and wanted's servers.
func withWantedSNIRoutes(running, wanted model.DataPlane) model.DataPlane {
	out := model.DataPlane{Sockets: slices.Clone(running.Sockets)}
	used := map[model.BackendID]bool{}
	for i, s := range out.Sockets {
		j := slices.IndexFunc(wanted.Sockets, func(w model.Socket) bool {
			return w.Gateway == s.Gateway && w.Address == s.Address && w.Port == s.Port && w.Protocol == s.Protocol
		})
		if j >= 0 {
			out.Sockets[i].Passthrough, out.Sockets[i].Terminate = wanted.Sockets[j].Passthrough, wanted.Sockets[j].Terminate
		}
		for _, r := range slices.Concat(out.Sockets[i].Passthrough, out.Sockets[i].Terminate) {
			used[r.Backend] = true
		}
	}
	for _, b := range withWantedServers(running, wanted).Backends {
		// HTTP backends are named by rules in haproxy.cfg: they stay while those rules run.
		if b.HTTP || used[b.ID] {
			out.Backends = append(out.Backends, b)
			delete(used, b.ID)
		}
	}
	for _, b := range wanted.Backends {
		if used[b.ID] {
			out.Backends = append(out.Backends, b)
		}
	}
	slices.SortFunc(out.Backends, func(a, b *model.Backend) int { return model.CompareBackendIDs(a.ID, b.ID) })
	return out
}

func findBackend(backends []*model.Backend, id model.BackendID) (*model.Backend, bool) {
	i := slices.IndexFunc(backends, func(b *model.Backend) bool { return b.ID == id })
	if i < 0 {
		return nil, false
	}
	return backends[i], true
}
