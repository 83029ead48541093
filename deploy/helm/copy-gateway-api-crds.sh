#!/usr/bin/env bash
# Copies the Gateway API standard-channel CRDs of the version in go.mod from the Go module cache into
# the chart's templates, each file guarded by the value crds.install. The manifests stay as upstream
# publishes them except for one annotation: helm.sh/resource-policy keep, so that uninstalling the
# chart (or turning crds.install off) never deletes the CRDs and with them every Gateway and route
# in the cluster. Writes into the chart, or into the folder given as the only argument.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-deploy/helm/haproxy-gateway/templates/gateway-api-crds}

dir=$(go mod download -json sigs.k8s.io/gateway-api | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
version=$(go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)

rm -rf "$out"; mkdir -p "$out"
for src in "$dir"/config/crd/standard/*.yaml; do
  name=$(basename "$src"); name=${name#gateway.networking.k8s.io_}
  {
    echo "{{- /* Gateway API $version, standard channel: config/crd/standard/$(basename "$src"), copied by deploy/helm/copy-gateway-api-crds.sh. */ -}}"
    echo "{{- if .Values.crds.install }}"
    # The metadata of every object in these files opens "metadata:" then "  annotations:".
    sed 's/^  annotations:$/  annotations:\n    helm.sh\/resource-policy: keep/' "$src"
    echo "{{- end }}"
  } > "$out/$name"
done

