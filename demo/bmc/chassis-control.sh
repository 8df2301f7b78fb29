#!/usr/bin/env bash
# ipmi_sim chassis_control program: IPMI chassis commands → the demo VM.
#   <mc> get power|boot …  → "power:0|1", "boot:<dev>"
#   <mc> set power 0|1 | reset 1 | shutdown 1 | boot <dev> | identify <i> <f>
# ipmi_sim waits for this (popen), so it must return quickly: vm.sh daemonizes qemu.
. "$(dirname "$0")/../env.sh"
state=$DEMO_RUN/bmc
mkdir -p "$state"
log() { printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$state/chassis.log"; }
bootdev() { cat "$state/bootdev" 2>/dev/null || echo default; }
is_on() { [ "$("$DEMO_DIR/vm.sh" status 2>/dev/null)" = on ]; }
power_on() {
  local b=c
  [ "$(bootdev)" = pxe ] && b=n
  log "power on (boot device $(bootdev))"
  "$DEMO_DIR/vm.sh" start --boot "$b" </dev/null >>"$state/vm.log" 2>&1
}
power_off() { log "power off"; "$DEMO_DIR/vm.sh" stop </dev/null >>"$state/vm.log" 2>&1; }
op=${1:-}; shift || true
log "$op $*"
case "$op" in
  get)
    for p in "$@"; do
      case "$p" in
        power) if is_on; then echo power:1; else echo power:0; fi ;;
        boot) echo "boot:$(bootdev)" ;;
        *) echo "invalid parameter $p"; exit 1 ;;
      esac
    done ;;
  set)
    while [ $# -gt 0 ]; do
      p=$1 v=${2:-}
      shift 2 2>/dev/null || shift $#
      case "$p" in
        power) if [ "$v" = 1 ]; then is_on || power_on; else ! is_on || power_off; fi ;;
        reset) if is_on; then power_off; power_on; fi ;;
        shutdown) ! is_on || power_off ;;
        boot) echo "$v" >"$state/bootdev" ;;
        identify) shift 1 2>/dev/null || true ;;
        *) echo "invalid parameter $p"; exit 1 ;;
      esac
    done ;;
  check) exit 1 ;;
  *) echo "unknown operation $op"; exit 1 ;;
esac
exit 0
