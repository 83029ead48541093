#!/usr/bin/env bash
# Copies the Gateway API standard-channel CRDs of the version in go.mod from the Go module cache into
# the chart's gateway-api-crds subchart, unchanged, and sets the subchart's version to it. Writes
# into the chart, or into the folder given as the only argument (for comparing).
set -euo pipefail
cd "$(dirname "$0")/../.."
subchart=deploy/helm/haproxy-gateway/charts/gateway-api-crds
out=${1:-$subchart/crds}

dir=$(go mod download -json sigs.k8s.io/gateway-api | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
version=$(go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)
rm -rf "$out"; mkdir -p "$out"
for src in "$dir"/config/crd/standard/*.yaml; do
  install -m 0644 "$src" "$out/$(basename "$src")"
done
if [ $# -eq 0 ]; then
  sed -i "s/^version: .*/version: ${version#v}/; s/^appVersion: .*/appVersion: $version/" "$subchart/Chart.yaml"
  sed -i "/name: gateway-api-crds/,/condition:/ s/^    version: .*/    version: ${version#v}/" deploy/helm/haproxy-gateway/Chart.yaml
fi
