package haproxy

import (
	"bytes"
	"path/filepath"
	"sort"
)

// Plan is how to move HAProxy from one configuration to another.
type Plan struct {
	// Reload is set when the change needs new workers; Reasons says why, for logs and metrics.
	Reload  bool
	Reasons []string
}

// Empty reports whether nothing needs doing.
func (p Plan) Empty() bool { return !p.Reload }

// PlanChange compares the running configuration with the wanted one. It is pure: it reads only
// its arguments. A nil running configuration means HAProxy runs nothing of ours yet.
func PlanChange(running, wanted *Config) Plan {
	if running == nil {
		return Plan{Reload: true, Reasons: []string{"first configuration"}}
	}
	var reasons []string
	if !bytes.Equal(running.Text, wanted.Text) {
		reasons = append(reasons, "haproxy.cfg changed")
	}
	var changed []string
	for path, f := range wanted.Files {
		if old, ok := running.Files[path]; !ok || !bytes.Equal(old.Content, f.Content) {
			changed = append(changed, filepath.Base(path))
		}
	}
	sort.Strings(changed)
	for _, name := range changed {
		reasons = append(reasons, name+" changed")
	}
	return Plan{Reload: len(reasons) > 0, Reasons: reasons}
}
