#!/usr/bin/env bash
# Runs its arguments inside a new private network namespace, so tests can bind pod addresses
# (10.244.0.0/16) and Gateway addresses (10.250.0.0/16, and 10.251.0.0/16 for Traefik in the
# benchmark) without touching the host's network.
# "local" routes make every address in those ranges deliverable on lo without adding each one.
# Dual-stack pods (the loopback kubelet's PodCIDRv6) get fd00:10:244::/96 the same way; IPv6 does
# not count a local route as an assigned address, so binding one needs ip_nonlocal_bind. Without
# IPv6 in the kernel that part is left out and only IPv4 pods can run.
# Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN). The command's exit code is passed through.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

exec unshare -n -- bash -c '
  set -e
  ip link set lo up
  ip route add local 10.244.0.0/16 dev lo
  ip route add local 10.250.0.0/16 dev lo
  # The entry points of Traefik in the benchmark: it binds fixed addresses, it does not take them
  # from a pool.
  ip route add local 10.251.0.0/16 dev lo
  if [ -d /proc/sys/net/ipv6 ] && ip -6 route add local fd00:10:244::/96 dev lo 2>/dev/null; then
    echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind
  fi
  exec "$@"
' netns "$@"
