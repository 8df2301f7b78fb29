#!/usr/bin/env bash
# Captures the real outputs quoted in docs/troubleshooting.md: `inspectord serve` (dist/, build it
# first with `npx tsc -p tsconfig.json`) in a network namespace with DHCP, TFTP, HTTP boot and the
# nftables filter, and real clients (busybox udhcpc, tftp-hpa, atftp, curl, dnsmasq as a second DHCP
# server and as a relay, the discovery ramdisk's collector) in other namespaces on one bridge.
# Root only; 198.18.0.0/15 addresses only; everything it starts is removed on exit (by PID/name).
#
#   sudo bash scripts/capture-troubleshooting.sh [OUT]   (OUT: transcript file, default stdout)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAIN=$ROOT/dist/src/main.js
OUT=${1:-/dev/stdout}
[ "$(id -u)" = 0 ] || { echo "capture: run as root (network namespaces)" >&2; exit 2; }
[ -f "$MAIN" ] || { echo "capture: $MAIN missing: run npx tsc -p tsconfig.json first" >&2; exit 2; }
for tool in ip /usr/sbin/nft busybox tftp atftp curl dnsmasq jq tar base64; do
  command -v "$tool" >/dev/null || { echo "capture: $tool missing (scripts/setup.sh installs it)" >&2; exit 2; }
done

ID=$(printf '%04x' $(($$ % 65536)))
SW=tsw-$ID SRV=tss-$ID CLI=tsc-$ID FWC=tsf-$ID ROG=tsr-$ID RLY=tsl-$ID CL2=ts2-$ID
NSS=("$SW" "$SRV" "$CLI" "$FWC" "$ROG" "$RLY" "$CL2")
WORK=$(mktemp -d /tmp/inspectord-capture-XXXXXX)
PIDS=()
SERVER=198.18.90.1
PORT=5050
URL=http://127.0.0.1:$PORT

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for ns in "${NSS[@]}"; do
    # Anything else still running in our namespaces was started here (by PID, never by name).
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT INT TERM

exec 3>"$OUT"
say() { printf '%s\n' "$*" >&3; }
section() { printf '\n===== %s =====\n' "$*" >&3; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# `$ inspectord …` as an operator on the server types it, and its output.
ind() {
  say "\$ inspectord $*"
  in_ns "$SRV" env INSPECTORD_URL=$URL COLUMNS=100 node "$MAIN" "$@" >&3 2>&1 || say "(exit $?)"
}
# The boot timeline of a MAC, without the long (and, here, meaningless) timestamps' date part.
events() { ind events "$@"; }
metrics() {
  say "\$ curl -s $URL/metrics | grep -E '$1'"
  in_ns "$SRV" curl -s "$URL/metrics" | grep -E "$1" | grep -v '^#' >&3 || say '(no sample)'
}
api() { in_ns "$SRV" curl -sf -X "$1" -H 'content-type: application/json' "$URL$2" ${3:+--data "$3"}; }

# ------------------------------------------------------------------------------ topology --
for ns in "${NSS[@]}"; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
in_ns "$SW" ip link add br0 type bridge
in_ns "$SW" ip link set br0 up
n=0
# plug NS IFNAME [MAC]: a veth from NS to the bridge.
plug() {
  n=$((n + 1))
  ip link add "p$n-$ID" netns "$SW" type veth peer name "$2" netns "$1"
  [ -z "${3:-}" ] || in_ns "$1" ip link set "$2" address "$3"
  in_ns "$SW" ip link set "p$n-$ID" master br0 up
  in_ns "$1" ip link set "$2" up
}
plug "$SRV" sv0 52:54:00:aa:00:01
plug "$CLI" cl0
plug "$FWC" fw0
plug "$ROG" rg0
plug "$RLY" rl0
in_ns "$SRV" ip addr add $SERVER/24 dev sv0
in_ns "$ROG" ip addr add 198.18.90.3/24 dev rg0
in_ns "$RLY" ip addr add 198.18.90.2/24 dev rl0
# The relayed client's own segment (198.18.95.0/24), behind the relay.
ip link add rl1 netns "$RLY" type veth peer name c20 netns "$CL2"
in_ns "$RLY" ip addr add 198.18.95.1/24 dev rl1
in_ns "$RLY" ip link set rl1 up
in_ns "$CL2" ip link set c20 up
in_ns "$RLY" sysctl -qw net.ipv4.ip_forward=1
in_ns "$SRV" ip route add 198.18.95.0/24 via 198.18.90.2

# A udhcpc script that configures the leased address (what a PXE ROM does in its own stack).
cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$WORK/udhcpc.sh"
# dhcp NS IF ARCH [EXTRA…]: one PXE client DHCP attempt (option 93 = ARCH); prints udhcpc's words.
dhcp() {
  local ns=$1 ifname=$2 arch=$3
  shift 3
  say "(client: udhcpc -i $ifname -x 0x5d:$arch $*)"
  in_ns "$ns" busybox udhcpc -i "$ifname" -n -q -t 3 -T 1 -x "0x5d:$arch" "$@" -s "$WORK/udhcpc.sh" 2>&1 |
    grep -E 'lease|sending|No lease|failed' | sed 's/^/  client> /' >&3 || true
}
set_mac() { in_ns "$1" ip link set "$2" down; in_ns "$1" ip addr flush dev "$2"; in_ns "$1" ip link set "$2" address "$3"; in_ns "$1" ip link set "$2" up; }

# ---------------------------------------------------------------------------------- daemon --
STATE=$WORK/state
mkdir -p "$STATE/tftp"
# A boot root as `inspectord ramdisk build` leaves it, except that the initramfs is missing.
head -c 3000000 /dev/urandom >"$STATE/tftp/discovery.kernel"
cat >"$WORK/inspector.conf" <<EOF
[DEFAULT]
listen_address = 0.0.0.0
listen_port = $PORT
state_dir = $STATE
log_level = warn

[processing]
always_store_ramdisk_logs = false

[ipmi]
enabled = false

[dhcp]
enabled = true
interface_address = $SERVER
subnet = 198.18.90.0/24
range_start = 198.18.90.100
range_end = 198.18.90.104
lease_time = 600

[tftp]
enabled = true

[http_boot]
enabled = true

[pxe_filter]
driver = nftables
interface = sv0
sync_period = 2
EOF
# `ip netns exec` execs in place: $! is the daemon's own PID.
ip netns exec "$SRV" node "$MAIN" serve --config "$WORK/inspector.conf" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
PIDS+=("$DAEMON")
disown "$DAEMON" # killed by PID on exit; no "Killed" line from bash
for _ in $(seq 100); do
  in_ns "$SRV" curl -sf "$URL/healthz" 2>/dev/null | grep -q '"ok"' && break
  sleep 0.2
done
in_ns "$SRV" curl -sf "$URL/healthz" >/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }

M1=52:54:00:10:00:01 M2=52:54:00:10:00:02 M3=52:54:00:10:00:03 MRD=52:54:00:12:34:56
api POST /v1/nodes "{\"name\":\"rack1-n1\",\"ports\":[{\"address\":\"$M1\"}]}" >/dev/null
api POST /v1/nodes "{\"name\":\"rack1-n2\",\"ports\":[{\"address\":\"$M2\"}]}" >/dev/null
api POST /v1/nodes "{\"name\":\"rack1-n3\",\"ports\":[{\"address\":\"$M3\"}]}" >/dev/null
api POST /v1/nodes "{\"name\":\"rack2-n7\",\"ports\":[{\"address\":\"$MRD\"}]}" >/dev/null

# ------------------------------------------------------------------------ no DHCP answer --
section "no-dhcp: enrolled node not under introspection"
set_mac "$CLI" cl0 $M1
dhcp "$CLI" cl0 0007
sleep 1
events --mac $M1
ind explain --mac $M1 --arch efi64
metrics 'inspectord_filter_rule_packets_total'

section "no-dhcp: unknown MAC, discovery off"
set_mac "$CLI" cl0 52:54:00:99:00:01
dhcp "$CLI" cl0 0007
sleep 3 # the filter reads its knock log on its sync period
events --mac 52:54:00:99:00:01
ind discovery status
metrics 'inspectord_filter_macs'

section "no-dhcp: unmapped architecture (arch 6, UEFI IA32)"
api POST "/v1/introspection/rack1-n1?manage_boot=false" >/dev/null
sleep 3
set_mac "$CLI" cl0 $M1
dhcp "$CLI" cl0 0006
events --mac $M1 --type dhcp.ignored
metrics 'inspectord_dhcp_decisions_total'

section "no-dhcp: relayed client on a subnet we do not serve"
ip netns exec "$RLY" dnsmasq --keep-in-foreground --port=0 --no-resolv --dhcp-relay=198.18.95.1,$SERVER \
  --interface=rl1 --pid-file="$WORK/relay.pid" --log-facility=- >"$WORK/relay.log" 2>&1 &
PIDS+=("$!")
disown "$!"
sleep 1
set_mac "$CL2" c20 $M2
api POST "/v1/introspection/rack1-n2?manage_boot=false" >/dev/null
sleep 3
dhcp "$CL2" c20 0007
events --mac $M2
ind explain --mac $M2 --arch efi64 --giaddr 198.18.95.1

section "no-dhcp: another DHCP server on the segment answers first"
ip netns exec "$ROG" dnsmasq --keep-in-foreground --port=0 --no-resolv --no-ping --interface=rg0 \
  --dhcp-range=198.18.90.200,198.18.90.210,10m --dhcp-boot=undionly.kpxe \
  --dhcp-leasefile="$WORK/rogue.leases" --pid-file="$WORK/rogue.pid" --log-facility=- >"$WORK/rogue.log" 2>&1 &
ROGUE=$!
PIDS+=("$ROGUE")
disown "$ROGUE"
sleep 1
api POST "/v1/introspection/rack1-n3?manage_boot=false" >/dev/null
sleep 3
set_mac "$CLI" cl0 $M3
# Pause inspectord for a second so that the other server's OFFER is first (as when it is faster).
kill -STOP "$DAEMON"
( sleep 1.5; kill -CONT "$DAEMON" ) &
dhcp "$CLI" cl0 0007
sleep 1
events --mac $M3
kill -9 "$ROGUE" 2>/dev/null || true
metrics 'inspectord_dhcp_decisions_total\{decision="ignored",reason="other-server"'

# ------------------------------------------------------------ an address but no kernel --
section "no-kernel: UEFI x64 client, GRUB not installed"
set_mac "$CLI" cl0 $M1
dhcp "$CLI" cl0 0007
say "\$ tftp $SERVER -c get grubx64.efi   (from the client)"
(cd "$WORK" && in_ns "$CLI" tftp -m octet $SERVER -c get grubx64.efi /dev/null 2>&1 | sed 's/^/  client> /' >&3) || true
events --mac $M1 --type tftp.refused,tftp.transfer
metrics 'inspectord_tftp_refused_total'

section "no-kernel: BIOS client, pxelinux loads, the initramfs is missing"
dhcp "$CLI" cl0 0000
for f in pxelinux.0 ldlinux.c32 "pxelinux.cfg/01-${M1//:/-}" discovery.kernel discovery.initramfs; do
  say "\$ tftp $SERVER -c get $f"
  in_ns "$CLI" tftp -m octet $SERVER -c get "$f" /dev/null 2>&1 | sed 's/^/  client> /' >&3 || true
done
events --mac $M1 --type tftp.refused,tftp.transfer
ind explain --mac $M1 --arch bios

section "no-kernel: path traversal refused"
say "\$ tftp $SERVER -c get ../../etc/shadow"
in_ns "$CLI" tftp -m octet $SERVER -c get ../../etc/shadow /dev/null 2>&1 | sed 's/^/  client> /' >&3 || true
events --mac $M1 --type tftp.refused --limit 1

section "no-kernel: HTTP boot (iPXE) — script and missing initramfs"
for path in "/boot/ipxe/$M1.ipxe" /boot/files/discovery.initramfs; do
  say "\$ curl -sS -o /dev/null -w '%{http_code}' http://$SERVER:$PORT$path"
  in_ns "$CLI" curl -sS -o /dev/null -w '  client> %{http_code}\n' "http://$SERVER:$PORT$path" >&3 2>&1 || true
done
events --mac $M1 --type http.fetch

section "no-kernel: blksize larger than the path MTU, and a firewall that passes only port 69"
# The client's link carries 1000-byte frames only (a tunnel, a misconfigured VLAN): a 1468-byte
# DATA block never arrives. The second client sits behind a stateless firewall that lets TFTP's
# port 69 through but not the transfer's own port (no TFTP conntrack helper).
in_ns "$CLI" ip link set cl0 mtu 1000
set_mac "$FWC" fw0 $M2
api POST "/v1/introspection/rack1-n2?manage_boot=false" >/dev/null || true
dhcp "$FWC" fw0 0000
in_ns "$FWC" /usr/sbin/nft -f - <<EOF
table inet edge {
  chain in {
    type filter hook input priority 0;
    ip saddr $SERVER udp sport != { 67, 69 } drop;
  }
}
EOF
say "\$ atftp --option 'blksize 1468' --get -r discovery.kernel -l /dev/null $SERVER   (client 1, MTU 1000)"
ip netns exec "$CLI" timeout 40 atftp --option "blksize 1468" --get -r discovery.kernel -l /dev/null $SERVER >"$WORK/atftp.out" 2>&1 &
A1=$!
say "\$ tftp $SERVER -c get discovery.kernel   (client 2, behind the firewall)"
ip netns exec "$FWC" timeout 40 tftp -m octet $SERVER -c get discovery.kernel /dev/null >"$WORK/tftp-fw.out" 2>&1 &
A2=$!
PIDS+=("$A1" "$A2")
wait "$A1" || true
wait "$A2" || true
sed 's/^/  client 1> /' "$WORK/atftp.out" >&3
sed 's/^/  client 2> /' "$WORK/tftp-fw.out" >&3
sleep 2
events --mac $M1 --type tftp.transfer --limit 1
events --mac $M2 --type tftp.transfer --limit 1
metrics 'inspectord_tftp_(transfers_total|retransmits_total)'
in_ns "$CLI" ip link set cl0 mtu 1500

# ---------------------------------------------------------------------------- ramdisk error --
section "ramdisk: the collector fails (no memory information), logs posted"
api POST "/v1/introspection/rack2-n7?manage_boot=false" >/dev/null
sleep 3
set_mac "$CLI" cl0 $MRD
dhcp "$CLI" cl0 0000
# The boot config this MAC gets carries its one-time callback token, as on a real boot.
in_ns "$CLI" tftp -m octet $SERVER -c get "pxelinux.cfg/01-${MRD//:/-}" "$WORK/boot.cfg" >/dev/null 2>&1
TOKEN=$(grep -o 'inspectord-token=[^ ]*' "$WORK/boot.cfg" | head -1 | cut -d= -f2)
# The ramdisk's own collector on a machine whose firmware exposes no memory size (the reference's
# VirtualBox case), with the same busybox-only PATH as in the ramdisk.
cp -r "$ROOT/test/fixtures/ramdisk/tree" "$WORK/tree"
rm "$WORK/tree/proc/meminfo"
mkdir "$WORK/bin"
for a in sh awk sed tr od cat readlink dd timeout uname head wc; do ln -s "$(command -v busybox)" "$WORK/bin/$a"; done
cp "$ROOT"/test/fixtures/ramdisk/stub/* "$WORK/bin/"
mkdir "$WORK/rd"
(
  cd "$WORK/rd"
  env -i PATH="$WORK/bin" RD_ROOT="$WORK/tree" RD_LIB="$ROOT/assets/ramdisk" RD_BOOTIF="01-${MRD//:/-}" \
    RD_TOKEN="$TOKEN" RD_COLLECTORS=default,logs \
    "$WORK/bin/sh" "$ROOT/assets/ramdisk/collect.sh" >body.tok 2>collect.err || true
  { echo "[inspectord-ramdisk 3.21] dhcp: $MRD 198.18.90.102"; sed 's/^/[inspectord-ramdisk 3.40] /' collect.err; } >ramdisk.log
  echo "[    0.000000] Linux version 6.1.0 (fixture dmesg)" >dmesg.log
  sed '$d' body.tok >body.all
  printf 's\tlogs\t%s\n' "$(tar -czf - ramdisk.log dmesg.log | base64 | tr -d '\n')" >>body.all
  printf '}\n' >>body.all
  "$WORK/bin/awk" -f "$ROOT/assets/ramdisk/json.awk" body.all >body.json
)
say "(ramdisk: POST /v1/continue, error = $(jq -c .error "$WORK/rd/body.json"))"
in_ns "$CLI" curl -s -o "$WORK/rd/answer" -w '  ramdisk> HTTP %{http_code}\n' -H 'content-type: application/json' \
  -H "X-Inspectord-Token: $TOKEN" --data @"$WORK/rd/body.json" "http://$SERVER:$PORT/v1/continue" >&3
say "  ramdisk> $(cat "$WORK/rd/answer")"
sleep 1
ind status rack2-n7
events --node rack2-n7
LOGFILE=$(find "$STATE/ramdisk-logs" -type f | head -1)
say "\$ tar -xzOf ${LOGFILE/$STATE/\/var\/lib\/inspectord} ramdisk.log"
tar -xzOf "$LOGFILE" ramdisk.log >&3
ind bundle --node rack2-n7 --out "$WORK/bundle.tar.gz"
say "\$ tar -tzf bundle.tar.gz"
tar -tzf "$WORK/bundle.tar.gz" >&3
metrics 'inspectord_(callbacks_total|introspections)\{'


section "no-dhcp: pool exhausted (discovery on, five addresses)"
ind discovery on
for i in 1 2 3; do
  set_mac "$CLI" cl0 52:54:00:99:01:0$i
  dhcp "$CLI" cl0 0007
done
events --mac 52:54:00:99:01:03
metrics 'inspectord_dhcp_(leases_in_use|decisions_total\{decision="ignored",reason="pool-exhausted")'
ind discovery off


section "daemon log (warnings)"
cat "$WORK/daemon.log" >&3
