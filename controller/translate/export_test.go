package translate

import "github.com/haproxy-gateway/haproxy-gateway/controller/model"

// LastModel is the model the Builder keeps for UpdateRoutes, nil when it keeps none.
func LastModel(b *Builder) *model.Model {
	if b.last == nil {
		return nil
	}
	return b.last.model
}
