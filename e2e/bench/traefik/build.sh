#!/usr/bin/env bash
# Builds the Traefik proxy (a Gateway API implementation, for the benchmark to run beside our
# controller) from the Go module proxy into a cache folder outside the checkout, keyed by version,
# so fresh clones (CI) share one build (several minutes on 2 cores). Prints the binary's path.
#
# The build module buildmod/ pins Traefik and every dependency (go.mod, go.sum) and wires in the
# stand-ins of shims/ for the modules the proxy does not serve; see README.md. Lego, Traefik's ACME
# library, is built from a copy of its module with the DNS-provider registry file swapped for
# buildmod/legodns/providers.go, made here in the cache folder; the go.mod the build reads is a
# copy of buildmod/go.mod that points lego at it, so the checkout is never written to.
#
#   build.sh        build once, print the binary's path (again: print it at once)
#   build.sh tidy   after editing buildmod/go.mod (such as a new Traefik version), update go.mod
#                   and go.sum the same way; the next build.sh builds anew
#
# Caller's GOFLAGS apply (GOFLAGS=-p=1 to build on one core).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MOD="$HERE/buildmod"
LEGO=github.com/go-acme/lego/v5

# The version of a module that buildmod/go.mod requires.
required() { awk -v m="$1" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$MOD/go.mod"; }

TRAEFIK_VERSION=$(required github.com/traefik/traefik/v3)
LEGO_VERSION=$(required "$LEGO")
[ -n "$TRAEFIK_VERSION" ] && [ -n "$LEGO_VERSION" ] || { echo "build.sh: no Traefik or lego version in $MOD/go.mod" >&2; exit 1; }
CACHE_ROOT=${HAPROXY_GATEWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/haproxy-gateway}
OUT="$CACHE_ROOT/tools/traefik-$TRAEFIK_VERSION"
WORK="$OUT/work"

# What the binary is built from: a change to any of it (a shim, go.sum) builds anew.
inputs() { (cd "$HERE" && find build.sh buildmod shims -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1); }

# Lays out $WORK: lego's module, verified by the checksum database, without its DNS providers, and
# traefik.mod/traefik.sum, buildmod's go.mod and go.sum with lego replaced by that copy.
stage() {
  rm -rf "$WORK"
  mkdir -p "$WORK"
  local src
  src=$(cd "$WORK" && go mod download -json "$LEGO@$LEGO_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -f "$src/providers/dns/zz_gen_dns_providers.go" ] || { echo "build.sh: no DNS-provider registry in $LEGO@$LEGO_VERSION ($src)" >&2; exit 1; }
  cp -R "$src" "$WORK/lego"
  chmod -R u+w "$WORK/lego"
  find "$WORK/lego/providers/dns" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
  rm -f "$WORK/lego/providers/dns/"*.go
  cp "$MOD/legodns/providers.go" "$WORK/lego/providers/dns/zz_gen_dns_providers.go"
  cp "$MOD/go.mod" "$WORK/traefik.mod"
  cp "$MOD/go.sum" "$WORK/traefik.sum"
  go mod edit -replace="$LEGO=$WORK/lego" "$WORK/traefik.mod"
}

if [ "${1:-}" = tidy ]; then
  mkdir -p "$OUT"
  exec 9>"$OUT/.lock"
  flock 9
  stage
  (cd "$MOD" && go mod tidy -modfile="$WORK/traefik.mod")
  go mod edit -dropreplace="$LEGO" "$WORK/traefik.mod"
  cp "$WORK/traefik.mod" "$MOD/go.mod"
  cp "$WORK/traefik.sum" "$MOD/go.sum"
  rm -rf "$WORK"
  echo "updated $MOD/go.mod and go.sum" >&2
  exit 0
fi

want=$(inputs)
built() { [ -x "$OUT/traefik" ] && [ "$(cat "$OUT/inputs" 2>/dev/null)" = "$want" ]; }

if built; then echo "$OUT/traefik"; exit 0; fi

mkdir -p "$OUT"
# One builder at a time: a second caller waits for the first to finish.
exec 9>"$OUT/.lock"
flock 9
if built; then echo "$OUT/traefik"; exit 0; fi

echo "building traefik $TRAEFIK_VERSION into $OUT; this takes several minutes the first time" >&2
stage
rm -f "$OUT/traefik.tmp"
(cd "$MOD" && CGO_ENABLED=0 go build -modfile="$WORK/traefik.mod" -trimpath -buildvcs=false \
  -ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
  -o "$OUT/traefik.tmp" github.com/traefik/traefik/v3/cmd/traefik) >&2
"$OUT/traefik.tmp" version | grep -q "$TRAEFIK_VERSION" || { echo "build.sh: the built traefik does not report $TRAEFIK_VERSION" >&2; exit 1; }
mv "$OUT/traefik.tmp" "$OUT/traefik"
echo "$want" >"$OUT/inputs"
rm -rf "$WORK"
echo "$OUT/traefik"
