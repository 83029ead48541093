package status

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	"sigs.k8s.io/yaml"
)

// FileWriter writes the status part of a model to a YAML file: the standalone mode's stand-in for
// the API server's status subresources, so a person (or a test) can read what the controller
// decided.
type FileWriter struct {
	path string
	mu   sync.Mutex // one Write at a time, so an older model never replaces a newer one
}

// NewFileWriter writes to path; its folder must exist.
func NewFileWriter(path string) *FileWriter { return &FileWriter{path: path} }

// fileStatus is the file's content: model.Model without the data plane, which is HAProxy's
// business and holds certificates, plus the objects left out because they are invalid.
type fileStatus struct {
	Rejected           []snapshot.Rejected  `json:"rejected,omitempty"`
	GatewayClasses     []model.GatewayClass `json:"gatewayClasses,omitempty"`
	Gateways           []model.Gateway      `json:"gateways,omitempty"`
	Routes             []*model.Route       `json:"routes,omitempty"`
	BackendTLSPolicies []model.Policy       `json:"backendTLSPolicies,omitempty"`
}

// Write replaces the file atomically (a reader sees the old or the new file, never half of one)
// and leaves it alone when the content is the same.
func (w *FileWriter) Write(_ context.Context, m *model.Model) error {
	data, err := yaml.Marshal(fileStatus{Rejected: m.Rejected, GatewayClasses: m.GatewayClasses, Gateways: m.Gateways, Routes: m.Routes,
		BackendTLSPolicies: m.BackendTLSPolicies})
	if err != nil {
		return fmt.Errorf("status file: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if old, err := os.ReadFile(w.path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := writeAtomic(w.path, data); err != nil {
		return fmt.Errorf("status file: %w", err)
	}
	return nil
}

// writeAtomic writes a temporary file in the same folder (rename is only atomic within one file
// system) and renames it over path.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	// Sync first, so a crash right after the rename cannot leave an empty file behind.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes 0600; status holds nothing secret and is meant to be read.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
