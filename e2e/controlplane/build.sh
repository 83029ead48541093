#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy into a cache folder
# outside the checkout, keyed by version, so fresh clones (CI) reuse one cold build (~15 min on 2 cores).
# Prints the folder holding the binaries. With the argument "kubectl" it builds kubectl there too,
# from the same module (`make bench` creates routes with it, as a user would).
set -euo pipefail
# The control plane's module asks for Go 1.26: the machine's own Go builds it, as it did before the
# project's code moved to Go 1.27 (the Makefile's GOTOOLCHAIN is for that code).
export GOTOOLCHAIN=local

K8S_VERSION=${K8S_VERSION:-v1.36.3}
STAGING_VERSION=${STAGING_VERSION:-v0.36.3}
CACHE_ROOT=${HAPROXY_GATEWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-gateway}
OUT="$CACHE_ROOT/controlplane-$K8S_VERSION"
BINARIES=(etcd kube-apiserver kube-controller-manager)
EXTRA=()
for arg in "$@"; do
  case "$arg" in
    kubectl) EXTRA+=(kubectl) ;;
    *) echo "build.sh: unknown binary $arg (only kubectl)" >&2; exit 2 ;;
  esac
done

complete() { for b in "$@"; do [ -x "$OUT/bin/$b" ] || return 1; done; }
build_extra() {
  for b in "${EXTRA[@]}"; do
    [ -x "$OUT/bin/$b" ] && continue
    (cd "$OUT/module" && GOFLAGS=-mod=mod go build -trimpath -ldflags=-s -o "$OUT/bin/$b.tmp" "k8s.io/kubernetes/cmd/$b" >&2)
    mv "$OUT/bin/$b.tmp" "$OUT/bin/$b"
  done
}
if complete "${BINARIES[@]}" "${EXTRA[@]}"; then echo "$OUT/bin"; exit 0; fi

mkdir -p "$OUT"
# One builder at a time: a second caller waits for the first to finish.
exec 9>"$OUT/.lock"
flock 9
if complete "${BINARIES[@]}"; then build_extra; echo "$OUT/bin"; exit 0; fi

work="$OUT/module"
rm -rf "$work"; mkdir -p "$work"
gomod=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
  echo "module controlplane"
  echo
  echo "go 1.26"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  # Kubernetes points its staging modules at local folders; use their published versions instead.
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
  echo ")"
} > "$work/go.mod"
cat > "$work/tools.go" <<'GO'
//go:build tools

package controlplane

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
cd "$work"
echo "building the control plane ($K8S_VERSION) into $OUT/bin; this takes a while the first time" >&2
GOFLAGS=-mod=mod go mod tidy -e >&2
mkdir -p "$OUT/bin.tmp"
GOFLAGS=-mod=mod go build -trimpath -ldflags=-s -o "$OUT/bin.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
GOFLAGS=-mod=mod go build -trimpath -ldflags=-s -o "$OUT/bin.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager >&2
GOFLAGS=-mod=mod go build -trimpath -ldflags=-s -o "$OUT/bin.tmp/etcd" go.etcd.io/etcd/server/v3 >&2
rm -rf "$OUT/bin"; mv "$OUT/bin.tmp" "$OUT/bin"
build_extra
echo "$OUT/bin"
