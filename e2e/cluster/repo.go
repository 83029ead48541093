package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// repoRoot walks up from the working directory to the folder holding go.mod. `go test` runs in the
// package folder while a compiled test binary may run anywhere inside the checkout; both work.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory; run from inside the repository")
		}
		dir = parent
	}
}

// defaultBinDir runs the control-plane build script, which returns at once when the binaries are
// already cached and otherwise builds them (minutes), and returns the folder it prints last.
func defaultBinDir(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	var stdout bytes.Buffer
	stderr := &tailBuffer{}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "e2e", "controlplane", "build.sh"))
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build control plane: %w\n--- last output of build.sh ---\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if dir == "" {
		return "", fmt.Errorf("build control plane: build.sh printed no folder\n--- last output of build.sh ---\n%s", stderr.String())
	}
	return dir, nil
}

// gatewayAPIDir returns the folder of the sigs.k8s.io/gateway-api module named in go.mod. GOPROXY=off
// keeps it working without network (inside a private network namespace) since go.sum pins it and
// it is already in the module cache after any build.
func gatewayAPIDir(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("locate sigs.k8s.io/gateway-api: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(stdout.String())
	if dir == "" {
		return "", errors.New("locate sigs.k8s.io/gateway-api: module is not in the module cache; run `go mod download sigs.k8s.io/gateway-api`")
	}
	return dir, nil
}
