package controller

import (
	"context"
	"errors"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

// HAProxy is the DataPlane of an HAProxy Manager.
type HAProxy struct{ Manager *haproxy.Manager }

// Apply programs dp.
func (d HAProxy) Apply(ctx context.Context, dp model.DataPlane) ApplyResult {
	return d.result(d.Manager.Apply(ctx, dp))
}

// ApplyServers programs dp, which differs from the data plane applied last only in the servers
// of the changed backends.
func (d HAProxy) ApplyServers(ctx context.Context, dp model.DataPlane, changed []model.BackendID) ApplyResult {
	return d.result(d.Manager.ApplyServers(ctx, dp, changed))
}

func (d HAProxy) result(r haproxy.Result) ApplyResult {
	result := ApplyResult{Changed: !r.Plan.Empty(), Reloaded: r.Reloaded(), ReloadTook: r.ReloadTook, Detail: r.Plan.String(),
		RuntimeFailed: r.RuntimeErr != nil, RuntimeOps: map[string]int{}, Err: r.Err, Spares: d.Manager.Spares()}
	if r.Deferred > 0 {
		result.Deferred, result.Detail = r.Deferred, "reload deferred by -min-reload-interval: "+r.Plan.String()
	} else if r.Plan.Reload {
		for _, reason := range r.Plan.Reasons {
			result.ReloadReasons = append(result.ReloadReasons, string(reason.Kind))
		}
	} else {
		if r.Err == nil {
			result.SparesAssigned = r.Plan.Assigned
		}
		for _, op := range r.Plan.Ops {
			result.RuntimeOps[op.Kind.String()]++
		}
	}
	var refused *haproxy.CheckError
	if errors.As(r.Err, &refused) {
		result.Refused = refused.Message
	}
	// The reload failed, and what needs none went out on its own.
	for _, op := range r.RuntimePart.Ops {
		result.RuntimeOps[op.Kind.String()]++
	}
	if !r.RuntimePart.Empty() {
		result.Detail += "; without it, " + r.RuntimePart.String()
	}
	if r.RuntimePartErr != nil {
		result.Detail += "; without it, runtime API failed: " + r.RuntimePartErr.Error()
	}
	return result
}

// Check runs "haproxy -c" on dp; a refusal is HAProxy's message, not an error.
func (d HAProxy) Check(ctx context.Context, dp model.DataPlane) (string, error) {
	err := d.Manager.Check(ctx, dp)
	var refused *haproxy.CheckError
	if errors.As(err, &refused) {
		return refused.Message, nil
	}
	return "", err
}
