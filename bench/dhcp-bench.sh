#!/usr/bin/env bash
# DHCP rate benchmark: perfdhcp (kea-admin) as a relay against inspectord's DHCP server (leases
# durably saved before each ACK, group commit: one fdatasync covers a burst) and dnsmasq (--leasefile-ro and with a lease file), in the
# same run, same namespaces, server pinned to CPU0 and perfdhcp to CPU1. For each server the rate
# sweep stops after two rates in a row with >= 2 % drops; the best rate under 2 % is its result.
# Writes the DHCP section of docs/benchmarks.md. Needs root, a built dist/ (npx tsc).
# Usage: bench/dhcp-bench.sh [--rates "1000 2000 ..."] [--period SEC]
set -euo pipefail
cd "$(dirname "$0")/.."
RATES="250 500 1000 1500 2000 3000 4000 5000 6000 8000" PERIOD=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --period) PERIOD=$2; shift 2 ;;
    *) echo "usage: $0 [--rates LIST] [--period SEC]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "dhcp-bench: needs root (network namespaces)" >&2; exit 1; }
for tool in perfdhcp dnsmasq taskset node; do
  command -v "$tool" >/dev/null || { echo "dhcp-bench: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done
[ -f dist/test/integration/dhcp/server-driver.js ] || { echo "dhcp-bench: run npx tsc first" >&2; exit 1; }

ID=$$; SNS=dhb-s$ID; CNS=dhb-c$ID; WORK=$(mktemp -d /tmp/dhcp-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  ip netns del "$SNS" 2>/dev/null || true
  ip netns del "$CNS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$SNS"; ip netns add "$CNS"
ip link add "dhbs$ID" netns "$SNS" type veth peer name "dhbc$ID" netns "$CNS"
ip -n "$SNS" addr add 198.19.0.1/16 dev "dhbs$ID"; ip -n "$CNS" addr add 198.19.0.2/16 dev "dhbc$ID"
for ns in "$SNS" "$CNS"; do ip -n "$ns" link set lo up; done
ip -n "$SNS" link set "dhbs$ID" up; ip -n "$CNS" link set "dhbc$ID" up

start_ours() {
  cat >"$WORK/ours.json" <<JSON
{"serverAddress":"198.19.0.1","subnets":[{"cidr":"198.19.0.0/16","rangeStart":"198.19.1.0","rangeEnd":"198.19.255.250","leaseTime":3600}],
 "mode":"full","authoritative":true,"offerTtl":30,"declineQuarantine":600,
 "boot":{"archMap":{"0":"pxelinux.0"},"ipxeScriptUrl":"http://\${server}:\${port}/boot/ipxe/\${mac}.ipxe","httpPort":8080,"sendIpxeNoPxedhcp":true},
 "leaseFile":"$WORK/ours-leases.json","leaseSaveDelayMs":1000,"printEvents":false}
JSON
  rm -f "$WORK/ours-leases.json"
  ip netns exec "$SNS" taskset -c 0 node ${DHCP_BENCH_NODE_ARGS:-} dist/test/integration/dhcp/server-driver.js "$WORK/ours.json" \
    >"$WORK/ours.out" 2>"$WORK/ours.err" </dev/null &
  SERVER_PID=$!
  for _ in $(seq 50); do grep -q ready "$WORK/ours.out" 2>/dev/null && return 0; sleep 0.1; done
  cat "$WORK/ours.err" >&2; return 1
}
start_dnsmasq() { # $1 = ro | file
  local lease=(--leasefile-ro)
  [ "$1" = file ] && { rm -f "$WORK/dnsmasq.leases"; lease=(--dhcp-leasefile="$WORK/dnsmasq.leases"); }
  ip netns exec "$SNS" taskset -c 0 dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
    --interface="dhbs$ID" --bind-interfaces --except-interface=lo --user=root --group=root --pid-file= \
    --dhcp-authoritative --dhcp-range=198.19.1.0,198.19.255.250,255.255.0.0,1h --dhcp-lease-max=1000000 \
    --dhcp-boot=pxelinux.0,,198.19.0.1 --quiet-dhcp --no-ping "${lease[@]}" </dev/null >/dev/null 2>"$WORK/dnsmasq.err" &
  SERVER_PID=$!
  sleep 0.5
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

# One perfdhcp run: prints "<exchanges/s> <max drops %>".
run_rate() {
  local out
  out=$(ip netns exec "$CNS" taskset -c 1 perfdhcp -4 -r "$1" -R 1000000 -p "$PERIOD" -l 198.19.0.2 198.19.0.1 2>&1 || true)
  local rate drops
  rate=$(sed -n 's/^Rate: \([0-9.]*\) 4-way.*/\1/p' <<<"$out" | head -n1)
  drops=$(sed -n 's/^drops ratio: \([0-9.]*\) %.*/\1/p' <<<"$out" | sort -g | tail -n1)
  echo "${rate:-0} ${drops:-100}"
}

declare -A BEST BEST_RATE BEST_DROPS SWEEP
sweep() { # $1 = label, then start command words
  local label=$1; shift
  BEST[$label]=0; BEST_RATE[$label]=0; BEST_DROPS[$label]=-; SWEEP[$label]=""; local fails=0
  for rate in $RATES; do
    "$@"
    read -r got drops < <(run_rate "$rate")
    stop_server
    SWEEP[$label]+="${rate}:${got}/${drops}% "
    printf '%-28s -r %-5s → %8.1f exchanges/s, drops %s %%\n' "$label" "$rate" "$got" "$drops"
    if awk -v d="$drops" 'BEGIN{exit !(d < 2)}'; then
      BEST[$label]=$got; BEST_RATE[$label]=$rate; BEST_DROPS[$label]=$drops; fails=0
    else
      # The machine is shared: one noisy sample should not end the sweep; two in a row do.
      fails=$((fails + 1)); [ "$fails" -ge 2 ] && break
    fi
  done
}

sweep "inspectord (leases persisted)" start_ours
sweep "dnsmasq --leasefile-ro" start_dnsmasq ro
sweep "dnsmasq (lease file)" start_dnsmasq file

OURS=${BEST["inspectord (leases persisted)"]}; DRO=${BEST["dnsmasq --leasefile-ro"]}; DFILE=${BEST["dnsmasq (lease file)"]}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
SECTION=$(cat <<MD
<!-- dhcp-bench:start -->
## DHCP: perfdhcp exchanges/s at < 2 % drops (bench/dhcp-bench.sh)

Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores (shared with other work; load average at the end: $(cut -d" " -f1-3 /proc/loadavg)), Node $(node -v), $(dnsmasq --version | head -n1 | awk '{print $1, $3}'),
perfdhcp $(perfdhcp -v 2>&1 | head -n1). Server pinned to CPU0, perfdhcp to CPU1, veth between two namespaces,
relay path (giaddr 198.19.0.2), a new MAC (new lease) per exchange, ${PERIOD} s per rate, rates: $RATES.

| server | best rate at < 2 % drops | exchanges/s | drops % | ratio ours / this |
|---|---|---|---|---|
| inspectord, leases saved durably before the ACK (JSON file, group commit) | -r ${BEST_RATE["inspectord (leases persisted)"]} | $OURS | ${BEST_DROPS["inspectord (leases persisted)"]} | 1.00 |
| dnsmasq --leasefile-ro --no-ping (its best) | -r ${BEST_RATE["dnsmasq --leasefile-ro"]} | $DRO | ${BEST_DROPS["dnsmasq --leasefile-ro"]} | $(ratio "$OURS" "$DRO") |
| dnsmasq with lease file, --no-ping | -r ${BEST_RATE["dnsmasq (lease file)"]} | $DFILE | ${BEST_DROPS["dnsmasq (lease file)"]} | $(ratio "$OURS" "$DFILE") |

Target: ≥ 2× dnsmasq's best at < 2 % drops → ratio $(ratio "$OURS" "$DRO").

Sweeps (rate:exchanges/s/drops):
- inspectord: ${SWEEP["inspectord (leases persisted)"]}
- dnsmasq --leasefile-ro: ${SWEEP["dnsmasq --leasefile-ro"]}
- dnsmasq lease file: ${SWEEP["dnsmasq (lease file)"]}

Commands: \`perfdhcp -4 -r RATE -R 1000000 -p $PERIOD -l 198.19.0.2 198.19.0.1\` (in the client namespace, \`taskset -c 1\`);
ours: \`node dist/test/integration/dhcp/server-driver.js opts.json\` (\`taskset -c 0\`, events counted, not printed);
dnsmasq: \`dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --bind-interfaces --dhcp-authoritative
--dhcp-range=198.19.1.0,198.19.255.250,255.255.0.0,1h --dhcp-boot=pxelinux.0,,198.19.0.1 --quiet-dhcp --no-ping
(--leasefile-ro | --dhcp-leasefile=FILE)\` (\`taskset -c 0\`).
<!-- dhcp-bench:end -->
MD
)
mkdir -p docs
[ -f docs/benchmarks.md ] || printf '# Benchmarks\n\nResults written by the scripts in bench/.\n' >docs/benchmarks.md
python3 - "$SECTION" <<'PY'
import re, sys
path = 'docs/benchmarks.md'
text = open(path).read()
section = sys.argv[1]
pattern = re.compile(r'<!-- dhcp-bench:start -->.*?<!-- dhcp-bench:end -->', re.S)
text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip('\n') + '\n\n' + section + '\n'
open(path, 'w').write(text)
PY
echo; echo "$SECTION"
