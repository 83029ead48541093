#!/usr/bin/env bash
# Checks the Helm chart: its Gateway API CRDs match go.mod's module, `helm lint` passes for every
# values file, and `helm template` output equals the golden files in testdata/. UPDATE=1 rewrites
# the goldens (review the diff).
set -euo pipefail
cd "$(dirname "$0")/../.."
chart=deploy/helm/haproxy-gateway
helm=$(bash deploy/helm/build-helm.sh)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0

bash deploy/helm/copy-gateway-api-crds.sh "$tmp/crds"
if ! diff -r "$tmp/crds" "$chart/charts/gateway-api-crds/crds" >"$tmp/crds.diff"; then
  if [ "${UPDATE:-}" = 1 ]; then
    bash deploy/helm/copy-gateway-api-crds.sh
  else
    echo "helm-check: $chart/charts/gateway-api-crds/crds differ from the go.mod version's CRDs; run deploy/helm/copy-gateway-api-crds.sh"
    head -20 "$tmp/crds.diff"; status=1
  fi
fi

# One release name and namespace for every rendering, so output depends on the values alone.
release=(haproxy-gateway "$chart" --namespace haproxy-gateway)

"$helm" lint --strict "$chart" --namespace haproxy-gateway
for values in "$chart"/ci/*-values.yaml; do
  "$helm" lint --strict "$chart" --namespace haproxy-gateway -f "$values"
done

# golden file : helm template arguments. helm template leaves the CRDs (1.2 MB of upstream YAML,
# compared with go.mod's above) out unless given --include-crds.
cases=(
  "default.yaml:"
  "pool.yaml:-f $chart/ci/pool-values.yaml"
  "single-replica.yaml:-f $chart/ci/single-replica-values.yaml"
)
for c in "${cases[@]}"; do
  golden=$chart/testdata/${c%%:*}
  read -r -a args <<<"${c#*:}"
  "$helm" template "${release[@]}" "${args[@]}" >"$tmp/out.yaml"
  if [ "${UPDATE:-}" = 1 ]; then
    cp "$tmp/out.yaml" "$golden"; echo "wrote $golden"
  elif ! diff -u "$golden" "$tmp/out.yaml"; then
    echo "helm-check: helm template differs from $golden (UPDATE=1 make helm-check rewrites it)"; status=1
  fi
done
# The CRDs are in the chart exactly when crds.install is on.
crds_with() { "$helm" template "${release[@]}" --include-crds "$@" | grep -c '^kind: CustomResourceDefinition$' || true; }
want=$(grep -l '^kind: CustomResourceDefinition$' "$chart"/charts/gateway-api-crds/crds/*.yaml | wc -l)
if [ "$(crds_with)" != "$want" ] || [ "$(crds_with --set crds.install=false)" != 0 ]; then
  echo "helm-check: crds.install does not include exactly the $want Gateway API CRDs"; status=1
fi
# Invalid values must be refused by values.schema.json.
for bad in "addressMode=nat" "controller.logFormat=xml" "controller.logLevel=trace" \
           "gatewayService.type=External" "addressMode=pool" "replicas=0" \
           "stats.auth.existingSecret=Stats_Auth" "stats.auth.password=x" \
           "haproxy.glibcTunables=hugetlb 1"; do
  if "$helm" template "${release[@]}" --set "$bad" >/dev/null 2>&1; then
    echo "helm-check: values $bad were accepted"; status=1
  fi
done
[ $status = 0 ] && echo "helm-check: chart lints, renders as its goldens, refuses bad values"
exit $status
