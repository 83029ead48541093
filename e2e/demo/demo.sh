#!/usr/bin/env bash
# The TLS routing example, end to end on this machine: HAProxy and haproxy-gateway in standalone
# mode on deploy/examples/tls-routing, two backends on loopback, and openssl as the client.
#   demo.sh          show it, then keep running until Ctrl-C
#   demo.sh --check  the same checks without waiting; exits non-zero when one fails
set -euo pipefail

check_only=false
[ "${1:-}" = "--check" ] && check_only=true
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin="$repo/bin"
examples="$repo/deploy/examples/tls-routing"
stats=${DEMO_STATS_ADDRESS:-127.0.0.1:8404}
pool=${DEMO_ADDRESS_POOL:-127.0.10.0/24}
work=$(mktemp -d /tmp/haproxy-gateway-demo.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
failures=0
pass() { printf '   \033[32mok\033[0m   %s\n' "$*"; }
fail() { printf '   \033[31mFAIL\033[0m %s\n' "$*"; failures=$((failures + 1)); }

step "Starting the demo backends and haproxy-gateway (standalone, objects from $examples)"
"$bin/demo-backends" >"$work/backends.log" 2>&1 &
pids+=($!)
"$bin/haproxy-gateway" -source=files -files-dir="$examples" -status-file="$work/status.yaml" \
  -haproxy-dir="$work/haproxy" -address-pool="$pool" -stats-address="$stats" >"$work/controller.log" 2>&1 &
pids+=($!)

# The Gateway's address comes from the pool; the controller publishes it in the status.
address=""
for _ in $(seq 1 100); do
  if [ -f "$work/status.yaml" ] && grep -q 'reason: Programmed' "$work/status.yaml"; then
    address=$(sed -n '/addresses:/{n;s/^ *- *//p;q}' "$work/status.yaml")
    [ -n "$address" ] && break
  fi
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "the Gateway was not programmed; controller log:" >&2
  cat "$work/controller.log" >&2
  exit 1
fi
echo "Gateway example-gateway is programmed at $address (listeners tls :443 Passthrough, tls-terminate :8443 Terminate)"

step "Status the controller computed (in a cluster it is written to the objects)"
sed -n '/^gateways:/,$p' "$work/status.yaml" | grep -E '^(gateways|routes):|^- |  name:|type:|status:|reason:|attachedRoutes:|addresses:|    - [0-9]' | sed 's/^/   /' | head -60

# talk NAME PORT: opens TLS with server name NAME, sends one line, prints what came back.
talk() {
  (printf 'hello\n'; sleep 1) | timeout 5 openssl s_client -connect "$address:$2" -servername "$1" -quiet 2>/dev/null || true
}
# certificate NAME PORT: subject and serial of the certificate presented for NAME.
certificate() {
  timeout 5 openssl s_client -connect "$address:$2" -servername "$1" </dev/null 2>/dev/null | openssl x509 -noout -subject -serial 2>/dev/null || true
}

step "foo.example.com on :443 (Passthrough): TLS goes through untouched to foo's backend"
echo "\$ openssl s_client -connect $address:443 -servername foo.example.com -quiet"
foo=$(talk foo.example.com 443); echo "$foo" | sed 's/^/   /'
echo "   certificate: $(certificate foo.example.com 443 | tr '\n' ' ')"
grep -q 'foo-backend tls=true sni=foo.example.com' <<<"$foo" && pass "foo's backend terminated TLS itself and saw SNI foo.example.com" || fail "foo.example.com did not reach foo's backend over TLS"
grep -q '^hello' <<<"$foo" && pass "data flows both ways" || fail "no echo from foo"

step "bar.example.com on :8443 (Terminate): the gateway presents tls-terminate-certificate, bar gets plain TCP"
echo "\$ openssl s_client -connect $address:8443 -servername bar.example.com -quiet"
bar=$(talk bar.example.com 8443); echo "$bar" | sed 's/^/   /'
barcert=$(certificate bar.example.com 8443)
echo "   certificate: $(echo "$barcert" | tr '\n' ' ')"
grep -q 'CN *= *bar.example.com' <<<"$barcert" && pass "the gateway presented the listener's certificate for bar.example.com" || fail "wrong certificate for bar.example.com"
grep -q 'bar-backend tls=false' <<<"$bar" && pass "bar's backend received plain TCP" || fail "bar.example.com did not reach bar's backend in plain TCP"

step "Names no route claims are accepted and closed"
for target in "unknown.example.com 443" "bar.example.com 443" "foo.example.com 8443"; do
  set -- $target
  out=$(talk "$1" "$2")
  [ -z "$out" ] && pass "$1 on :$2 refused" || fail "$1 on :$2 answered: $out"
done

step "HAProxy stats"
# Read the whole page before searching it: grep -q stops reading at the first match.
if grep -q '^tlsroute:default:foo-route:rule0,' <<<"$(curl -fsS "http://$stats/;csv")"; then
  pass "stats page lists backend tlsroute:default:foo-route:rule0"
else
  fail "stats page does not list the route backends"
fi
echo "   stats page: http://$stats/    Prometheus metrics: http://$stats/metrics"

if [ "$failures" -gt 0 ]; then
  echo; echo "$failures check(s) failed; controller log:"; cat "$work/controller.log"
  exit 1
fi
echo; echo "All demo checks passed."
if ! $check_only; then
  echo "Running until Ctrl-C. Try: openssl s_client -connect $address:443 -servername foo.example.com"
  wait "${pids[1]}"
fi
