#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy into a cache folder outside the checkout, keyed by
# version, so fresh clones (CI) share one build (a few minutes on 2 cores). Prints the binary's path.
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}
# helm's own release build stamps the Kubernetes version of its client-go (v0.37 -> 1.37); helm
# template and lint report it as .Capabilities.KubeVersion, so pin it for stable output.
HELM_KUBE_MINOR=${HELM_KUBE_MINOR:-37}
CACHE_ROOT=${HAPROXY_GATEWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-gateway}
OUT="$CACHE_ROOT/tools/helm-$HELM_VERSION"

if [ -x "$OUT/helm" ]; then echo "$OUT/helm"; exit 0; fi

mkdir -p "$OUT"
# One builder at a time: a second caller waits for the first to finish.
exec 9>"$OUT/.lock"
flock 9
if [ -x "$OUT/helm" ]; then echo "$OUT/helm"; exit 0; fi

echo "building helm $HELM_VERSION into $OUT; this takes a few minutes the first time" >&2
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags="$ldflags -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$HELM_KUBE_MINOR"
done
rm -rf "$OUT/bin.tmp"
GOBIN="$OUT/bin.tmp" GOFLAGS=-mod=mod go install -trimpath -ldflags="$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
mv "$OUT/bin.tmp/helm" "$OUT/helm"
rm -rf "$OUT/bin.tmp"
echo "$OUT/helm"
