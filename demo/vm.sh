#!/usr/bin/env bash
# The demo's bare-metal node: qemu (TCG) on the lab tap, two disks with serials, SMBIOS identity,
# and a KCS BMC wired to ipmi_sim. `vm.sh start --boot n|c | stop | status`; the BMC's chassis
# control calls it, so power and boot device come from IPMI. Console: $DEMO_RUN/vm-console.log.
set -euo pipefail
. "$(dirname "$0")/env.sh"
demo_need_root
PIDFILE=$DEMO_RUN/qemu.pid

running() { [ -f "$PIDFILE" ] && demo_alive "$(cat "$PIDFILE" 2>/dev/null)"; }

start() {
  local boot=n
  while [ $# -gt 0 ]; do
    case "$1" in
      --boot) boot=$2; shift 2 ;;
      *) demo_die "vm.sh: unknown option $1" ;;
    esac
  done
  running && { demo_log "VM already running"; return 0; }
  mkdir -p "$DEMO_RUN"
  [ -f "$DEMO_VM_DISK0" ] || truncate -s 10G "$DEMO_VM_DISK0"
  [ -f "$DEMO_VM_DISK1" ] || truncate -s 8G "$DEMO_VM_DISK1"
  local nic_index="" disk_index=",bootindex=1"
  [ "$boot" = n ] && { nic_index=",bootindex=1"; disk_index=",bootindex=2"; }
  local -a args=(
    -name inspectord-demo-node -machine pc -accel tcg -cpu qemu64 -m "$DEMO_VM_MEM" -smp 1
    -display none -vga none -serial "file:$DEMO_RUN/vm-console.log" -monitor none
    -pidfile "$PIDFILE" -daemonize
    -uuid "$DEMO_VM_UUID"
    -smbios "type=1,manufacturer=Inspectord,product=DemoNode,version=1,serial=$DEMO_VM_SERIAL,uuid=$DEMO_VM_UUID"
    -netdev "tap,id=net0,ifname=$DEMO_TAP,script=no,downscript=no"
    -device "$DEMO_VM_NIC,netdev=net0,mac=$DEMO_VM_MAC$nic_index"
    -drive "file=$DEMO_VM_DISK0,format=raw,if=none,id=disk0"
    -device "ide-hd,drive=disk0,bus=ide.0,serial=INSPD-HDD0,model=Demo HDD 10G$disk_index"
    -drive "file=$DEMO_VM_DISK1,format=raw,if=none,id=disk1"
    -device "virtio-blk-pci,drive=disk1,serial=INSPD-VD1"
    -chardev "socket,id=ipmi0,host=127.0.0.1,port=$DEMO_KCS_PORT,reconnect=2"
    -device "ipmi-bmc-extern,id=bmc0,chardev=ipmi0"
    -device "isa-ipmi-kcs,bmc=bmc0"
    -boot strict=on -no-reboot
  )
  if [ "$DEMO_FIRMWARE" = uefi ]; then
    local code=/usr/share/OVMF/OVMF_CODE_4M.fd
    [ -f "$code" ] || demo_die "OVMF is not installed (scripts/setup.sh --demo)"
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$DEMO_RUN/OVMF_VARS.fd"
    args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
      -drive "if=pflash,format=raw,unit=1,file=$DEMO_RUN/OVMF_VARS.fd")
  fi
  printf '%q ' qemu-system-x86_64 "${args[@]}" >"$DEMO_RUN/vm.cmdline"
  rm -f "$PIDFILE"
  : >"$DEMO_RUN/vm-console.log"
  demo_ns qemu-system-x86_64 "${args[@]}" </dev/null >>"$DEMO_RUN/vm.log" 2>&1
  running || demo_die "qemu did not start (see $DEMO_RUN/vm.log)"
  echo "qemu $(cat "$PIDFILE")" >>"$DEMO_RUN/started.pids"
  demo_log "VM powered on (pid $(cat "$PIDFILE"), boot ${boot/n/network}, firmware $DEMO_FIRMWARE)"
}

stop() {
  running && demo_log "VM powered off (pid $(cat "$PIDFILE"))"
  demo_kill_pidfile "$PIDFILE" 5
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) if running; then echo on; else echo off; fi ;;
  *) echo "usage: $0 start [--boot n|c] | stop | status" >&2; exit 2 ;;
esac
