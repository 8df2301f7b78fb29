#!/usr/bin/env bash
# The demo node's BMC: OpenIPMI's ipmi_sim in the lab namespace, RMCP+ on $DEMO_BMC_IP:623, whose
# chassis control powers the VM (vm.sh) and keeps the boot device. `bmc.sh start|stop`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
demo_need_root
PIDFILE=$DEMO_RUN/ipmi_sim.pid
dir=$DEMO_RUN/bmc

start() {
  demo_ns_exists || demo_die "lab is not up"
  mkdir -p "$dir/state"
  sed -e "s|@BMC_IP@|$DEMO_BMC_IP|g" -e "s|@IPMI_PORT@|$DEMO_IPMI_PORT|g" -e "s|@DEMO_DIR@|$DEMO_DIR|g" \
    -e "s|@KCS_PORT@|$DEMO_KCS_PORT|g" -e "s|@IPMI_USER@|$DEMO_IPMI_USER|g" -e "s|@IPMI_PASS@|$DEMO_IPMI_PASS|g" \
    "$DEMO_DIR/bmc/lan.conf.in" >"$dir/lan.conf"
  chmod 0600 "$dir/lan.conf"
  echo default >"$dir/bootdev"
  export DEMO_DIR DEMO_WORK DEMO_RUN DEMO_NS DEMO_TAP DEMO_BMC_IP DEMO_BMC_MAC DEMO_KCS_PORT DEMO_FIRMWARE \
    DEMO_VM_MAC DEMO_VM_MEM DEMO_VM_NIC DEMO_VM_SERIAL DEMO_VM_UUID DEMO_VM_DISK0 DEMO_VM_DISK1
  # `ip netns exec` directly (not the demo_ns function, which would fork a subshell): it execs
  # ipmi_sim in place, so $! is ipmi_sim's own PID and stop can kill it.
  ip netns exec "$DEMO_NS" ipmi_sim -n -c "$dir/lan.conf" -f "$DEMO_DIR/bmc/bmc.emu" -s "$dir/state" \
    </dev/null >>"$dir/ipmi_sim.log" 2>&1 &
  echo $! >"$PIDFILE"
  echo "ipmi_sim $!" >>"$DEMO_RUN/started.pids"
  local i
  for ((i = 0; i < 50; i++)); do
    demo_ipmitool mc info >/dev/null 2>&1 && break
    demo_alive "$(cat "$PIDFILE")" || { cat "$dir/ipmi_sim.log" >&2; demo_die "ipmi_sim exited"; }
    sleep 0.2
  done
  demo_ipmitool mc info >/dev/null 2>&1 || demo_die "the BMC does not answer on $DEMO_BMC_IP:$DEMO_IPMI_PORT"
  demo_log "BMC up: ipmi_sim (pid $(cat "$PIDFILE")) on $DEMO_BMC_IP:$DEMO_IPMI_PORT"
}

stop() {
  "$DEMO_DIR/vm.sh" stop || true
  demo_kill_pidfile "$PIDFILE" 5
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
