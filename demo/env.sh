# Names, addresses and helpers of the demo lab (sourced by demo/*.sh and scripts/demo.sh).
# Everything can be overridden from the environment (DEMO_*). The lab lives in one network
# namespace with no link to the root namespace, on 198.18.0.0/15 only.
DEMO_DIR=${DEMO_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DEMO_ROOT=${DEMO_ROOT:-$(cd "$DEMO_DIR/.." && pwd)}
DEMO_WORK=${DEMO_WORK:-/tmp/inspectord-demo}
DEMO_RUN=${DEMO_RUN:-$DEMO_WORK/run}

DEMO_NS=${DEMO_NS:-inspd-demo}          # the provisioning host: daemon, BMC and VM run here
DEMO_BR=${DEMO_BR:-inspdbr0}            # provisioning bridge; inspectord's interface
DEMO_TAP=${DEMO_TAP:-inspdtap0}         # the VM's NIC, enslaved to the bridge
DEMO_SERVER_IP=${DEMO_SERVER_IP:-198.18.0.1}
DEMO_PREFIX=${DEMO_PREFIX:-24}
DEMO_POOL_START=${DEMO_POOL_START:-198.18.0.100}
DEMO_POOL_END=${DEMO_POOL_END:-198.18.0.199}
DEMO_API_PORT=${DEMO_API_PORT:-5050}
DEMO_BMC_IP=${DEMO_BMC_IP:-198.18.1.1}  # on lo of the namespace: a "BMC network" the VM can't reach
DEMO_BMC_MAC=${DEMO_BMC_MAC:-52:54:00:be:ef:01}
DEMO_IPMI_PORT=${DEMO_IPMI_PORT:-623}
DEMO_IPMI_USER=${DEMO_IPMI_USER:-admin}
DEMO_IPMI_PASS=${DEMO_IPMI_PASS:-demopass}
DEMO_KCS_PORT=${DEMO_KCS_PORT:-9002}    # ipmi_sim <-> qemu KCS link, loopback of the namespace

DEMO_VM_MAC=${DEMO_VM_MAC:-52:54:00:19:81:01}
DEMO_VM_MEM=${DEMO_VM_MEM:-512}
DEMO_VM_NIC=${DEMO_VM_NIC:-e1000}
DEMO_VM_SERIAL=${DEMO_VM_SERIAL:-INSPD-DEMO-0001}
DEMO_VM_UUID=${DEMO_VM_UUID:-5f1d3b2e-9a4c-4e1b-8f00-198180000101}
DEMO_VM_DISK0=${DEMO_VM_DISK0:-$DEMO_WORK/vm-disk0.raw}   # sparse 10 GiB, IDE
DEMO_VM_DISK1=${DEMO_VM_DISK1:-$DEMO_WORK/vm-disk1.raw}   # sparse 8 GiB, virtio
DEMO_FIRMWARE=${DEMO_FIRMWARE:-bios}    # bios | uefi

demo_log() { printf '[demo %s] %s\n' "$(date +%T)" "$*" >&2; }
demo_die() { demo_log "ERROR: $*"; exit 1; }
demo_need_root() { [ "$(id -u)" = 0 ] || demo_die "must run as root (network namespaces, nftables, qemu taps)"; }
demo_ns() { ip netns exec "$DEMO_NS" "$@"; }
demo_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$DEMO_NS"; }
# A PID is alive and not a zombie (the sandbox's PID 1 reaps late).
demo_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
# Stop the process recorded in a pid file: TERM, then KILL after $2 seconds.
demo_kill_pidfile() {
  local pf=$1 wait=${2:-5} pid i
  [ -f "$pf" ] || return 0
  pid=$(cat "$pf" 2>/dev/null || true)
  if demo_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do demo_alive "$pid" || break; sleep 0.1; done
    demo_alive "$pid" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pf"
}
demo_ipmitool() {
  demo_ns ipmitool -I lanplus -C 3 -H "$DEMO_BMC_IP" -p "$DEMO_IPMI_PORT" -U "$DEMO_IPMI_USER" -P "$DEMO_IPMI_PASS" "$@"
}
