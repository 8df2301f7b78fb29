#!/usr/bin/env bash
# Fleet simulation wrapper (root): a server and a client namespace joined by a veth
# (198.18.96.1/21 ↔ 198.18.96.2/21), then bench/fleet-sim.ts in the client namespace, which starts
# `inspectord serve` in the server namespace. Cleans up namespaces (and with them the nft table and
# every process left inside, killed by PID) on any exit.
# Usage: npx tsc -p tsconfig.json && [FLEET_TRANSPORT=tftp|http] [FLEET_KILL=3 FLEET_SEED=n] \
#          bash bench/fleet-bench.sh [N=100]   (other knobs: see the header of bench/fleet-sim.ts)
set -euo pipefail
N=${1:-100}
cd "$(dirname "$0")/.."
SNS=fls-$$
CNS=flc-$$
SIF=vfs$$
CIF=vfc$$
cleanup() {
  for ns in "$SNS" "$CNS"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
ip netns add "$SNS"
ip netns add "$CNS"
ip link add "$SIF" netns "$SNS" type veth peer name "$CIF" netns "$CNS"
ip -n "$SNS" addr add 198.18.96.1/21 dev "$SIF"
ip -n "$CNS" addr add 198.18.96.2/21 dev "$CIF"
for ns in "$SNS" "$CNS"; do ip -n "$ns" link set lo up; done
ip -n "$SNS" link set "$SIF" up
ip -n "$CNS" link set "$CIF" up
echo "fleet-bench: N=$N, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), Node $(node --version)"
ip netns exec "$CNS" node dist/bench/fleet-sim.js "$N" "$SNS" "$SIF" "$CIF"
echo "nft tables left in the server namespace: $(ip netns exec "$SNS" /usr/sbin/nft list tables | wc -l) (before cleanup; the daemon removes its own on SIGTERM)"
