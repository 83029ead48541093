package haproxy

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestRenderFromEqualsRender renders every golden model from an earlier configuration (its
// backends' servers changed one at a time, a backend dropped, an empty one) and from
// Config.withServers, and checks each gives what a render from nothing gives.
func TestRenderFromEqualsRender(t *testing.T) {
	for name, m := range goldenModels(t) {
		same := func(what string, got *Config, dp model.DataPlane) {
			t.Helper()
			want, err := Render(dp, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want.Text), string(got.Text)); diff != "" {
				t.Errorf("%s, %s: haproxy.cfg (-render +reused):\n%s", name, what, diff)
			}
			if !slices.Equal(want.Skeleton, got.Skeleton) || !cmp.Equal(want.Servers, got.Servers) {
				t.Errorf("%s, %s: skeleton or servers differ", name, what)
			}
		}
		base := m.DataPlane
		prev, err := Render(base, goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range base.Backends {
			next := base
			next.Backends = slices.Clone(base.Backends)
			next.Backends[i].Servers = append(slices.Clone(b.Servers), model.Server{Service: "extra", Address: "10.9.9.9", Port: 99, Weight: 3})
			got, err := renderFrom(prev, next, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("a server added to backend "+backendName(b.ID), got, next)
			if b.HTTP {
				continue
			}
			changed, ok := prev.withServers(map[string]model.Backend{backendName(b.ID): next.Backends[i]})
			if !ok {
				t.Fatalf("withServers refused %s", backendName(b.ID))
			}
			same("withServers on "+backendName(b.ID), changed, next)
			// The block withServers made is reused only for the same servers.
			emptied := next
			emptied.Backends = slices.Clone(next.Backends)
			emptied.Backends[i].Servers = nil
			got, err = renderFrom(changed, emptied, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("servers emptied after withServers on "+backendName(b.ID), got, emptied)
		}
		if len(base.Backends) > 1 {
			next := base
			next.Backends = base.Backends[1:]
			got, err := renderFrom(prev, next, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("first backend dropped", got, next)
		}
	}
}
