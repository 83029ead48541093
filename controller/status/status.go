// Package status publishes what a build decided, with the apply result folded in: to the API
// server's status subresources in a cluster (KubeWriter), or to a YAML file in standalone mode
// (FileWriter). Writers compare before writing, so rewriting an unchanged model costs reads only.
package status

import (
	"context"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Writer publishes the status part of a model. Write tries every object and returns all failures
// joined, so one broken object does not hold back the others.
type Writer interface {
	Write(ctx context.Context, m *model.Model) error
}

var (
	_ Writer = (*KubeWriter)(nil)
	_ Writer = (*FileWriter)(nil)
)
