package haproxy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeFiles writes every file of a configuration, then haproxy.cfg, each atomically (a temporary
// file renamed over the old one) so HAProxy never reads half a file. Files holding keys or
// passwords are 0600: HAProxy runs as the controller's user.
func writeFiles(cfgPath string, cfg *Config) error {
	return writeChanged(cfgPath, nil, cfg)
}

// writeChanged writes the files of cfg that differ from those of on, the configuration whose
// files are on disk (nil: none are), the same way as writeFiles: a change costs what it changed,
// not the whole configuration.
func writeChanged(cfgPath string, on, cfg *Config) error {
	for path, f := range cfg.Files {
		if on != nil {
			if old, ok := on.Files[path]; ok && old.Secret == f.Secret && old.sameContent(f) {
				continue
			}
		}
		mode := os.FileMode(0o644)
		if f.Secret {
			mode = 0o600
		}
		if err := writeAtomicWith(path, mode, f.writeTo); err != nil {
			return err
		}
	}
	if on != nil && on.TextSecret == cfg.TextSecret && sameText(on, cfg) {
		return nil
	}
	mode := os.FileMode(0o644)
	if cfg.TextSecret {
		mode = 0o600
	}
	return writeAtomicWith(cfgPath, mode, cfg.writeText)
}

// removeStale deletes files the previous configuration had and the new one does not.
func removeStale(previous, current *Config) {
	if previous == nil {
		return
	}
	for path := range previous.Files {
		if _, keep := current.Files[path]; !keep {
			_ = os.Remove(path)
		}
	}
}

func writeAtomic(path string, content []byte, mode os.FileMode) error {
	return writeAtomicWith(path, mode, func(w io.Writer) error {
		_, err := w.Write(content)
		return err
	})
}

// writeAtomicWith is writeAtomic with the content written by write.
func writeAtomicWith(path string, mode os.FileMode, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// Chmod before writing: a secret never sits on disk with a wider mode.
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
