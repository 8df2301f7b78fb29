#!/usr/bin/env bash
# The demo's provisioning network: namespace $DEMO_NS with a bridge (inspectord's interface),
# a tap for the VM, and the BMC address on lo. `lab.sh up|down|status`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
demo_need_root

up() {
  if demo_ns_exists; then demo_die "namespace $DEMO_NS exists (a previous demo still running? run: $0 down)"; fi
  mkdir -p "$DEMO_WORK" "$DEMO_RUN"
  ip netns add "$DEMO_NS"
  trap 'ip netns del "$DEMO_NS" 2>/dev/null || true' ERR
  # No IPv6 in the lab: nothing of it leaves the namespace and nothing answers it.
  demo_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$DEMO_NS" link set lo up
  ip -n "$DEMO_NS" addr add "$DEMO_BMC_IP/32" dev lo
  ip -n "$DEMO_NS" link add "$DEMO_BR" type bridge stp_state 0 forward_delay 0
  ip -n "$DEMO_NS" addr add "$DEMO_SERVER_IP/$DEMO_PREFIX" dev "$DEMO_BR"
  ip -n "$DEMO_NS" link set "$DEMO_BR" up
  demo_ns ip tuntap add dev "$DEMO_TAP" mode tap
  ip -n "$DEMO_NS" link set "$DEMO_TAP" master "$DEMO_BR"
  ip -n "$DEMO_NS" link set "$DEMO_TAP" up
  trap - ERR
  demo_log "lab up: netns $DEMO_NS, $DEMO_BR $DEMO_SERVER_IP/$DEMO_PREFIX, tap $DEMO_TAP, BMC $DEMO_BMC_IP"
}

down() {
  # Processes we started are stopped by their pid files first (vm.sh, bmc.sh, scripts/demo.sh);
  # deleting the namespace then removes its links, addresses and nftables tables with it.
  if demo_ns_exists; then
    ip netns del "$DEMO_NS"
    demo_log "lab down: netns $DEMO_NS deleted"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if demo_ns_exists; then echo up; else echo down; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
