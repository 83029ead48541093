package haproxy

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestRenderFromEqualsRender renders every golden model from an earlier configuration (its
// backends' servers changed one at a time, a backend dropped and back, an empty one, the
// backends out of order) and from
// Config.withServers, and checks each gives what a render from nothing gives.
func TestRenderFromEqualsRender(t *testing.T) {
	for name, m := range goldenModels(t) {
		same := func(what string, got *Config, dp model.DataPlane) {
			t.Helper()
			want, err := Render(dp, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want.Text()), string(got.Text())); diff != "" {
				t.Errorf("%s, %s: haproxy.cfg (-render +reused):\n%s", name, what, diff)
			}
			if !slices.Equal(want.Skeleton, got.Skeleton) || !cmp.Equal(want.Servers.Map(), got.Servers.Map()) {
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
			// A copy, as the build makes: models share the backends a change did not touch.
			added := *b
			added.Servers = append(slices.Clone(b.Servers), model.Server{Service: "extra", Address: "10.9.9.9", Port: 99, Weight: 3})
			next.Backends[i] = &added
			got, err := renderFrom(prev, next, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("a server added to backend "+backendName(b.ID), got, next)
			if b.HTTP {
				continue
			}
			changed, ok := prev.withServers([]*model.Backend{next.Backends[i]})
			if !ok {
				t.Fatalf("withServers refused %s", backendName(b.ID))
			}
			same("withServers on "+backendName(b.ID), changed, next)
			// The block withServers made is reused only for the same servers.
			emptied := next
			emptied.Backends = slices.Clone(next.Backends)
			none := added
			none.Servers = nil
			emptied.Backends[i] = &none
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
			back, err := renderFrom(got, base, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("first backend back", back, base)
			// A list out of the model's order finds fewer blocks to reuse, never stale ones.
			reversed := base
			reversed.Backends = slices.Clone(base.Backends)
			slices.Reverse(reversed.Backends)
			got, err = renderFrom(prev, reversed, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			same("backends out of order", got, reversed)
		}
	}
}

// TestRenderFromElsewhere renders every golden model into other folders, as a check does into its
// staging folder, from its configuration in the golden ones: it gives what a render from nothing
// there gives, files included, and shares every block that names no file in the folders.
func TestRenderFromElsewhere(t *testing.T) {
	staged := goldenSettings
	staged.Dir, staged.RunDir = "/staging/etc", "/staging/run"
	shared, again := 0, 0
	for name, m := range goldenModels(t) {
		prev, err := Render(m.DataPlane, goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		got, err := renderFrom(prev, m.DataPlane, staged)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Render(m.DataPlane, staged)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want.Text()), string(got.Text())); diff != "" {
			t.Errorf("%s: haproxy.cfg (-render +reused):\n%s", name, diff)
		}
		if len(want.Files) != len(got.Files) {
			t.Errorf("%s: %d files, want %d", name, len(got.Files), len(want.Files))
		}
		for path, f := range want.Files {
			if g, ok := got.Files[path]; !ok || !g.sameContent(f) || g.Secret != f.Secret {
				t.Errorf("%s: file %s differs or is missing", name, path)
			}
		}
		for i, block := range got.backends {
			text := block.text()
			names := bytes.Contains(text, []byte(goldenSettings.Dir)) || bytes.Contains(text, []byte(goldenSettings.RunDir)) ||
				bytes.Contains(text, []byte(staged.Dir)) || bytes.Contains(text, []byte(staged.RunDir))
			switch reused := block == prev.backends[i]; {
			case reused && names:
				t.Errorf("%s: block %s reused from the other folders, which it names", name, block.data.Name)
			case !reused && !names:
				t.Errorf("%s: block %s names no file and was rendered again", name, block.data.Name)
			case reused:
				shared++
			default:
				again++
			}
		}
	}
	if shared == 0 || again == 0 {
		t.Errorf("%d blocks shared and %d rendered again: the golden models should have both", shared, again)
	}
}

// TestWithServersOutOfOrder finds route backends whose blocks are not in the model's order, as
// a data plane built by hand may list them.
func TestWithServersOutOfOrder(t *testing.T) {
	a := model.Backend{ID: model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "a"}}
	b := model.Backend{ID: model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "b"}}
	unsorted := []*model.Backend{&b, &a}
	prev, err := Render(model.DataPlane{Backends: unsorted}, goldenSettings)
	if err != nil {
		t.Fatal(err)
	}
	if prev.inOrder {
		t.Fatal("blocks in order; the case needs them out of order")
	}
	withServer := a
	withServer.Servers = []model.Server{{Service: "s", Address: "10.0.0.1", Port: 80, Weight: 1}}
	found, ok := backendsOf([]*model.Backend{&b, &withServer}, []model.BackendID{a.ID})
	if !ok || len(found) != 1 || found[0].ID != a.ID {
		t.Fatalf("backendsOf: %v %v", found, ok)
	}
	got, ok := prev.withServers([]*model.Backend{&withServer})
	if !ok {
		t.Fatal("withServers refused a")
	}
	want, err := Render(model.DataPlane{Backends: []*model.Backend{&b, &withServer}}, goldenSettings)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want.Text()), string(got.Text())); diff != "" {
		t.Errorf("haproxy.cfg (-render +withServers):\n%s", diff)
	}
	if _, ok := prev.withServers([]*model.Backend{{ID: model.BackendID{Kind: "TLSRoute", Namespace: "default", Name: "c"}}}); ok {
		t.Error("withServers took a backend the configuration lacks")
	}
}

func TestContainsString(t *testing.T) {
	text := []byte("    server s1 10.0.0.1:443 ssl ca-file /var/lib/haproxy/cas/ca-1.pem verify required\n")
	for _, s := range []string{"", "/var/lib/haproxy", "/var/lib/haproxy/cas/ca-1.pem", "/var/lib/haproxy/cas/ca-2.pem",
		"/run/haproxy", "required\n", "required\n ", "s", "    server", string(text), string(text) + "x", "//"} {
		if got, want := containsString(text, s), bytes.Contains(text, []byte(s)); got != want {
			t.Errorf("containsString(%q) = %t, bytes.Contains says %t", s, got, want)
		}
	}
	if containsString(nil, "/a") || !containsString(nil, "") {
		t.Error("an empty text holds the empty string alone")
	}
}

// TestRenderFromAnotherModel renders every golden model from the configuration of every other
// one, and checks that it gives what a render from nothing gives: haproxy.cfg, the skeleton and
// every file (router.lua included). A render keeps the text of the one before only where that was
// rendered from the same data.
func TestRenderFromAnotherModel(t *testing.T) {
	models := goldenModels(t)
	names := slices.Sorted(maps.Keys(models))
	for _, from := range names {
		prev, err := Render(models[from].DataPlane, goldenSettings)
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range names {
			dp := models[to].DataPlane
			want, err := Render(dp, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderFrom(prev, dp, goldenSettings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want.Text()), string(got.Text())); diff != "" {
				t.Fatalf("%s from %s: haproxy.cfg (-render +from the other):\n%s", to, from, diff)
			}
			if !slices.Equal(want.Skeleton, got.Skeleton) {
				t.Fatalf("%s from %s: the skeleton differs", to, from)
			}
			if len(want.Files) != len(got.Files) {
				t.Fatalf("%s from %s: %d files, want %d", to, from, len(got.Files), len(want.Files))
			}
			for path, f := range want.Files {
				if diff := cmp.Diff(string(f.Content()), string(got.Files[path].Content())); diff != "" {
					t.Fatalf("%s from %s: %s (-render +from the other):\n%s", to, from, path, diff)
				}
			}
		}
	}
}
