#!/usr/bin/env bash
# TFTP throughput: inspectord's server vs dnsmasq and tftpd-hpa, in the same run, between two
# network namespaces (veth, 198.18.65.0/24). Server pinned to CPU0, clients to CPU1.
# Scenarios (32 MiB file): one curl lock-step (blksize 1468), one atftp with windowsize 16
# (blksize 1468), 16 concurrent curl lock-step clients (aggregate). Prints a Markdown table.
# Usage (root, after `npx tsc`): bash bench/tftp-bench.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SIZE_MIB=32
CONC=16
ID=$$
SNS=tbs-$ID CNS=tbc-$ID
SIP=198.18.65.1 CIP=198.18.65.2
WORK=$(mktemp -d /tmp/tftp-bench.XXXXXX)
PIDS=()

cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in $(ip netns pids "$SNS" 2>/dev/null) $(ip netns pids "$CNS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$SNS" 2>/dev/null || true
  ip netns del "$CNS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in dnsmasq in.tftpd curl atftp taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/setup.sh)" >&2; exit 1; }
done
[[ -f dist/test/integration/tftp/server-driver.js ]] || { echo "run npx tsc first" >&2; exit 1; }

ip netns add "$SNS"; ip netns add "$CNS"
ip link add "vbs$ID" netns "$SNS" type veth peer name "vbc$ID" netns "$CNS"
ip -n "$SNS" addr add "$SIP/24" dev "vbs$ID"; ip -n "$CNS" addr add "$CIP/24" dev "vbc$ID"
for ns in "$SNS" "$CNS"; do ip -n "$ns" link set lo up; done
ip -n "$SNS" link set "vbs$ID" up; ip -n "$CNS" link set "vbc$ID" up

mkdir -p "$WORK/root" "$WORK/out"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/root/big.bin"
SUM=$(sha256sum < "$WORK/root/big.bin" | cut -d' ' -f1)

# Our driver exits when its stdin (a FIFO we hold open on fd 3) closes.
mkfifo "$WORK/ctl"
# Servers: ours on :6969, tftpd-hpa on :6970, dnsmasq on :69 (its TFTP port is fixed).
ip netns exec "$SNS" taskset -c 0 node dist/test/integration/tftp/server-driver.js \
  "{\"tftp\":{\"root\":\"$WORK/root\",\"address\":\"$SIP\",\"port\":6969,\"maxTransfers\":128,\"maxTransfersPerClient\":64}}" \
  < "$WORK/ctl" > "$WORK/ours.log" 2>&1 &
PIDS+=($!)
exec 3> "$WORK/ctl"
ip netns exec "$SNS" taskset -c 0 in.tftpd -L -a "$SIP:6970" -s "$WORK/root" -u root > /dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$SNS" taskset -c 0 dnsmasq -k -u root --enable-tftp --tftp-root="$WORK/root" --port=0 \
  --listen-address="$SIP" --bind-interfaces --pid-file="$WORK/dnsmasq.pid" --log-facility=/dev/null &
PIDS+=($!)
sleep 1.5
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a server failed to start (pid $p)" >&2; exit 1; }; done

declare -A PORT=([ours]=6969 [tftpd-hpa]=6970 [dnsmasq]=69)
SERVERS=(dnsmasq tftpd-hpa ours)
now() { date +%s.%N; }
client() { ip netns exec "$CNS" taskset -c 1 "$@"; }

run_lock() { client curl -sS --max-time 120 --tftp-blksize 1468 -o "$2" "tftp://$SIP:${PORT[$1]}/big.bin"; }
run_win() { client timeout 120 atftp --option "blksize 1468" --option "windowsize 16" -g -r big.bin -l "$2" "$SIP" "${PORT[$1]}" > /dev/null 2>&1; }
run_conc() {
  local pids=() i
  for ((i = 0; i < CONC; i++)); do
    client curl -sS --max-time 120 --tftp-blksize 1468 -o "$WORK/out/c$i" "tftp://$SIP:${PORT[$1]}/big.bin" &
    pids+=($!)
  done
  local rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  for ((i = 0; i < CONC; i++)); do
    [[ $(sha256sum < "$WORK/out/c$i" | cut -d' ' -f1) == "$SUM" ]] || rc=1
  done
  rm -f "$WORK"/out/c*
  return $rc
}

declare -A T
for ((r = 1; r <= ROUNDS; r++)); do
  for s in "${SERVERS[@]}"; do
    for sc in lock win conc; do
      out="$WORK/out/$s-$sc"
      t0=$(now)
      if "run_$sc" "$s" "$out"; then
        t1=$(now)
        if [[ $sc != conc && $(sha256sum < "$out" | cut -d' ' -f1) != "$SUM" ]]; then
          echo "CORRUPT: $s $sc round $r" >&2; T[$s,$sc]+="x "
        else
          T[$s,$sc]+="$(echo "$t1 - $t0" | bc -l) "
        fi
      else
        echo "FAILED: $s $sc round $r" >&2; T[$s,$sc]+="x "
      fi
      rm -f "$out"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | grep -v x | sort -n | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else print a[int((NR+1)/2)]}'; }
mbps() { echo "scale=1; $1 / $2" | bc -l; }
echo
echo "| server | 1 client lock-step (curl, blksize 1468) | 1 client windowsize 16 (atftp, blksize 1468) | $CONC concurrent curl (aggregate) |"
echo "|---|---|---|---|"
declare -A M
for s in "${SERVERS[@]}"; do
  row="| $s"
  for sc in lock win conc; do
    m=$(echo "${T[$s,$sc]}" | median)
    M[$s,$sc]=$m
    mib=$SIZE_MIB; [[ $sc == conc ]] && mib=$((SIZE_MIB * CONC))
    row+=" | $(printf '%.2f' "$m") s = $(mbps "$mib" "$m") MiB/s"
  done
  echo "$row |"
done
echo
for sc in lock win conc; do
  echo "ours/dnsmasq $sc: $(echo "scale=2; ${M[dnsmasq,$sc]} / ${M[ours,$sc]}" | bc -l)x  (ours/tftpd-hpa: $(echo "scale=2; ${M[tftpd-hpa,$sc]} / ${M[ours,$sc]}" | bc -l)x)"
done
echo "raw seconds per round:"
for s in "${SERVERS[@]}"; do for sc in lock win conc; do echo "  $s $sc: ${T[$s,$sc]}"; done; done
grep -c '"outcome":"complete"' "$WORK/ours.log" | sed 's/^/ours completed transfers: /'
