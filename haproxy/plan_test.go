package haproxy

import (
	"slices"
	"testing"
)

func TestPlanChange(t *testing.T) {
	base := &Config{Text: []byte("cfg"), Files: map[string]File{
		"/d/maps/a.sni.map":  {Content: []byte("a.example.com be\n")},
		"/d/certs/a.pem":     {Content: []byte("pem"), Secret: true},
		"/d/crt-lists/a.crt": {Content: []byte("/d/certs/a.pem\n")},
	}}
	with := func(change func(*Config)) *Config {
		c := &Config{Text: base.Text, Files: map[string]File{}}
		for k, v := range base.Files {
			c.Files[k] = v
		}
		change(c)
		return c
	}
	tests := []struct {
		name       string
		running    *Config
		wanted     *Config
		wantReload bool
		reasons    []string
	}{
		{"nothing running yet", nil, base, true, []string{"first configuration"}},
		{"same configuration", base, with(func(*Config) {}), false, nil},
		{"haproxy.cfg changed", base, with(func(c *Config) { c.Text = []byte("other") }), true, []string{"haproxy.cfg changed"}},
		{"a map changed", base, with(func(c *Config) { c.Files["/d/maps/a.sni.map"] = File{Content: []byte("b.example.com be\n")} }), true, []string{"a.sni.map changed"}},
		{"a certificate rotated", base, with(func(c *Config) { c.Files["/d/certs/a.pem"] = File{Content: []byte("new"), Secret: true} }), true, []string{"a.pem changed"}},
		{"a new file", base, with(func(c *Config) { c.Files["/d/maps/b.sni.map"] = File{} }), true, []string{"b.sni.map changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanChange(tt.running, tt.wanted)
			if p.Reload != tt.wantReload || !slices.Equal(p.Reasons, tt.reasons) {
				t.Errorf("PlanChange = reload %v %q, want reload %v %q", p.Reload, p.Reasons, tt.wantReload, tt.reasons)
			}
		})
	}
}
