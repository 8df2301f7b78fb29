#!/usr/bin/env bash
# README Quick start, command one: a self-contained lab demo. Creates a network namespace with a
# bridge, a virtual BMC (ipmi_sim) and a qemu node; runs `inspectord serve` on the lab network;
# enrols the node by its BMC address and credentials; introspects it (IPMI power on → DHCP →
# TFTP/HTTP → discovery ramdisk → callback → hooks → power off); prints its inventory, ports and
# boot timeline; tears everything down, also on Ctrl-C.
#
#   npm run demo                      managed boot: inspectord powers the node on over IPMI
#   npm run demo -- --discovery       an unknown machine, powered on by hand, is enrolled by discovery
#   npm run demo -- --set-credentials manual power-on; the ramdisk sets new BMC credentials in-band
#                                     (KCS) and inspectord proves them over RMCP+ before saving them
# Options: --firmware bios|uefi, --no-setup (skip apt/npm), --keep (leave the lab up),
#          --summary FILE (machine-readable result, used by the end-to-end test), --timeout S.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. demo/env.sh

MODE=managed SETUP=1 KEEP=0 SUMMARY= TIMEOUT=${DEMO_TIMEOUT:-600}
while [ $# -gt 0 ]; do
  case "$1" in
    --discovery) MODE=discovery; shift ;;
    --set-credentials) MODE=set-credentials; shift ;;
    --firmware) DEMO_FIRMWARE=$2; export DEMO_FIRMWARE; shift 2 ;;
    --no-setup) SETUP=0; shift ;;
    --keep) KEEP=1; shift ;;
    --summary) SUMMARY=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
demo_need_root
# A lab that is already up (--keep, or a demo still running) is not this run's to tear down: refuse
# before the teardown trap is set and before run/ (its pid files) is cleared.
if demo_ns_exists; then
  demo_die "namespace $DEMO_NS exists (a previous demo still running? stop it: demo/bmc.sh stop; demo/lab.sh down)"
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "$SETUP" = 1 ]; then
  step "Installing what the demo needs (Debian packages, npm dependencies)"
  bash scripts/setup.sh --demo
fi
step "Building inspectord"
npx tsc -p tsconfig.json
step "Building the discovery ramdisk (cached after the first run)"
BOOT_DIR=$DEMO_WORK/boot
mkdir -p "$BOOT_DIR"
bash assets/ramdisk/build.sh --out "$BOOT_DIR"

DAEMON_PID=$DEMO_RUN/inspectord.pid
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$KEEP" = 1 ]; then
    demo_log "--keep: lab left up (netns $DEMO_NS); stop it with: demo/bmc.sh stop; demo/lab.sh down"
    exit "$rc"
  fi
  step "Tearing down"
  demo_kill_pidfile "$DAEMON_PID" 15
  demo/bmc.sh stop >/dev/null 2>&1 || true
  demo/lab.sh down || true
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

step "Creating the lab network (netns $DEMO_NS, $DEMO_SERVER_IP/$DEMO_PREFIX) and the node's BMC"
rm -rf "$DEMO_RUN" "$DEMO_WORK/state"
mkdir -p "$DEMO_RUN" "$DEMO_WORK/state"
demo/lab.sh up
demo/bmc.sh start

step "Starting inspectord serve on $DEMO_BR"
CONF=$DEMO_WORK/inspector.conf
API=http://$DEMO_SERVER_IP:$DEMO_API_PORT
cat >"$CONF" <<CONF
[DEFAULT]
listen_address = $DEMO_SERVER_IP
listen_port = $DEMO_API_PORT
state_dir = $DEMO_WORK/state
timeout = $TIMEOUT
log_level = info

[processing]
node_not_found_hook = $([ "$MODE" = discovery ] && echo enroll)
add_ports = all
ramdisk_logs_dir = $DEMO_WORK/ramdisk-logs
always_store_ramdisk_logs = true

[discovery]
enabled = $([ "$MODE" = discovery ] && echo true || echo false)

[ipmi]
enabled = true

[dhcp]
enabled = true
interface_address = $DEMO_SERVER_IP
subnet = 198.18.0.0/$DEMO_PREFIX
range_start = $DEMO_POOL_START
range_end = $DEMO_POOL_END

[tftp]
enabled = true
root = $BOOT_DIR

[http_boot]
enabled = true

[pxe_filter]
driver = nftables
interface = $DEMO_BR
CONF
chmod 0600 "$CONF"
# `ip netns exec` directly (a function would fork a subshell): $! is the daemon's own PID.
ip netns exec "$DEMO_NS" node "$ROOT/dist/src/main.js" serve --config "$CONF" >"$DEMO_RUN/inspectord.log" 2>&1 &
echo $! >"$DAEMON_PID"
echo "inspectord $!" >>"$DEMO_RUN/started.pids"
for ((i = 0; i < 100; i++)); do
  demo_ns curl -fsS -o /dev/null "$API/" 2>/dev/null && break
  demo_alive "$(cat "$DAEMON_PID")" || { cat "$DEMO_RUN/inspectord.log" >&2; demo_die "inspectord exited at start"; }
  sleep 0.2
done
demo_log "inspectord up: API $API (log $DEMO_RUN/inspectord.log)"

cli() { demo_ns node "$ROOT/dist/src/main.js" --url "$API" "$@"; }
NODE=demo-node
case "$MODE" in
  managed)
    step "Enrolling the node by its BMC address and credentials"
    cli node add --name "$NODE" --ipmi-address "$DEMO_BMC_IP" --ipmi-username "$DEMO_IPMI_USER" \
      --ipmi-password "$DEMO_IPMI_PASS" --format json >/dev/null
    cli node list
    step "Introspecting: power on over IPMI, PXE, ramdisk, callback, hooks, power off"
    cli introspect "$NODE" --wait --timeout "$TIMEOUT"
    ;;
  discovery)
    step "Discovery is on; the machine is unknown to inspectord. Powering it on by hand (ipmitool)"
    demo_ipmitool chassis bootdev pxe >/dev/null
    demo_ipmitool chassis power on
    for ((i = 0; i < TIMEOUT; i++)); do
      uuid=$(cli node list --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const n=JSON.parse(s).nodes??[];process.stdout.write(n[0]?.uuid??"")})')
      [ -n "$uuid" ] && break
      sleep 1
    done
    [ -n "${uuid:-}" ] || demo_die "no node was discovered within ${TIMEOUT}s"
    cli node set "$uuid" --name "$NODE" --format json >/dev/null
    demo_log "discovered node $uuid; waiting for its introspection to finish"
    cli wait "$NODE" --timeout "$TIMEOUT"
    ;;
  set-credentials)
    step "Enrolling the node by BMC address only; introspection will set new BMC credentials in-band"
    cli node add --name "$NODE" --ipmi-address "$DEMO_BMC_IP" --format json >/dev/null
    NEWPASS=Demo$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    cli introspect "$NODE" --manage-boot false --new-ipmi-username demo2 --new-ipmi-password "$NEWPASS"
    step "Powering the node on by hand, as an operator without working credentials would"
    demo_ipmitool chassis bootdev pxe >/dev/null
    demo_ipmitool chassis power on
    cli wait "$NODE" --timeout "$TIMEOUT"
    ;;
esac

step "Result"
demo_ns node demo/summary.mjs --api "$API" --node "$NODE" ${SUMMARY:+--summary "$SUMMARY"}
