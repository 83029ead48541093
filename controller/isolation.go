package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/quarantine"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"github.com/sirupsen/logrus"
)

// maxIsolationChecks bounds the "haproxy -c" runs one pass spends looking for the objects behind
// a refusal (each takes 10-50 ms, more with thousands of routes): about two refused objects among
// 10,000 routes, or five among 100. What it leaves unfound stays unprogrammed with everything
// else for that pass (the runtime part of the change still goes out), and the retry 2 s later
// continues the search from what was set aside.
const maxIsolationChecks = 40

// isolation is what the Runner remembers of configurations HAProxy refused.
type isolation struct {
	// held are the parts left out of every model until they change.
	held quarantine.Quarantine
	// unattributable is the fingerprint of the last data plane HAProxy refused even with every
	// part left out: searching it again would find nothing.
	unattributable string
}

// applyIsolated applies the model without the parts HAProxy refused before. When HAProxy refuses
// it anyway, it finds the parts responsible, sets them aside with HAProxy's message and applies
// the rest, so one bad object never holds back the others. It returns the model as served, with
// conditions on the objects left out, and what the data plane did with it.
func (r *Runner) applyIsolated(ctx context.Context, snap *snapshot.Snapshot, m *model.Model) (*model.Model, ApplyResult) {
	defer func() { r.Metrics.setQuarantined(r.isolation.held.Len()) }()
	served, held := r.isolation.held.Apply(m, snap.Gateways)
	r.logLifted(held)
	r.isolation.held = held
	result := r.DataPlane.Apply(ctx, served.DataPlane)
	if result.Refused == "" {
		return served, result
	}
	key := fingerprint(served.DataPlane)
	if key == r.isolation.unattributable {
		return served, result
	}
	found, err := quarantine.Isolate(ctx, r.DataPlane.Check, served.DataPlane, result.Refused, maxIsolationChecks)
	log := r.Log.WithField("checks", found.Checks)
	switch {
	case err != nil:
		log.WithError(err).Error("could not look for the objects HAProxy refused")
		return served, result
	case !found.Attributable:
		r.isolation.unattributable = key
		log.WithField("haproxy", result.Refused).Error("HAProxy refuses the configuration even without any Gateway or route; the previous one keeps serving")
		return served, result
	}
	for _, e := range found.Found {
		log.WithFields(logrus.Fields{"object": e.Part.String(), "haproxy": e.Message}).
			Warn("HAProxy refused this object's configuration: it is left out until it changes, everything else is programmed")
	}
	if !found.Complete {
		log.Warn("more objects HAProxy refuses remain to be found: the search goes on at the next retry")
	}
	if len(found.Found) == 0 {
		return served, result
	}
	// What the refused apply did (a runtime part, a failure) is counted; the next one is the
	// pass's result.
	r.Metrics.observe(result, time.Time{})
	r.isolation.held = r.isolation.held.With(found.Found...)
	served, r.isolation.held = r.isolation.held.Apply(m, snap.Gateways)
	return served, r.DataPlane.Apply(ctx, served.DataPlane)
}

// logLifted says which parts are tried again because they changed.
func (r *Runner) logLifted(still quarantine.Quarantine) {
	kept := map[quarantine.Part]bool{}
	for _, e := range still.Entries() {
		kept[e.Part] = true
	}
	for _, e := range r.isolation.held.Entries() {
		if !kept[e.Part] {
			r.Log.WithField("object", e.Part.String()).Info("an object HAProxy refused changed or is gone: it is tried again")
		}
	}
}

// fingerprint identifies a data plane, certificates by their fingerprints (PEM is not encoded).
func fingerprint(dp model.DataPlane) string {
	data, _ := json.Marshal(dp)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
