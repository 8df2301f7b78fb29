#!/bin/sh
# inspectord-collect: reads /proc, /sys and /sys/firmware/dmi (busybox ash + awk only) and prints
# the IPA callback body (ironic-python-agent inspector.py "default" + "pci-devices" collectors) as
# the token stream json.awk turns into JSON. No JSON is written here, so nothing needs escaping.
#
# Environment (all optional; /init sets them from the kernel command line):
#   RD_ROOT        prefix of proc/ and sys/ (tests point it at a fake tree)     default ""
#   RD_BOOTIF      BOOTIF value (01-aa-bb-…, aa:bb:… or aa-bb-…)
#   RD_COLLECTORS  ipa-inspection-collectors                                     default "default"
#   RD_LLDP_DIR    directory of captured LLDP frames (<ifname>.hex, one frame per line), used
#                  for interfaces[].lldp (ipa-collect-lldp=1) and lldp_raw (collector "lldp")
#   RD_TOKEN       inspectord-token, sent as the "token" field
#   RD_ERROR       failures found before collection (e.g. "no DHCP lease"), reported in "error"
#   RD_LIB         directory of lldp.awk                                         default beside
#   RD_VERSION     ramdisk version string for configuration.managers
R=${RD_ROOT:-}
LIB=${RD_LIB:-/usr/share/inspectord}
COLLECTORS=$(echo "${RD_COLLECTORS:-default}" | tr ',' ' ')
FAILURES=${RD_ERROR:-}

# ------------------------------------------------------------------------- token writers --
o() { printf '{\t%s\t\n' "$1"; }
c() { printf '}\n'; }
a() { printf '[\t%s\t\n' "$1"; }
e() { printf ']\n'; }
s() { printf 's\t%s\t%s\n' "$1" "$2"; }
S() { printf 'S\t%s\t%s\n' "$1" "$2"; }
n() { printf 'n\t%s\t%s\n' "$1" "$2"; }
b() { printf 'b\t%s\t%s\n' "$1" "$2"; }
z() { printf 'z\t%s\t\n' "$1"; }

fail() { FAILURES="${FAILURES:+$FAILURES; }$*"; echo "collect: $*" >&2; }
has_collector() { case " $COLLECTORS " in *" $1 "*) return 0 ;; esac; return 1; }

# First line of a sysfs/procfs file, surrounding blanks trimmed (read does it); "" if unreadable.
rd() {
  RD=""
  [ -r "$1" ] || return 1
  { IFS=' 	' read -r RD <"$1"; } 2>/dev/null
  [ -n "$RD" ]
}
rdv() { rd "$1"; printf '%s' "$RD"; }

# BOOTIF → canonical "01-aa-bb-cc-dd-ee-ff" (IPA sends the pxelinux form) and plain MAC.
bootif_forms() {
  local v
  v=$(echo "$1" | tr 'A-F:' 'a-f-')
  case "$v" in
    ??-??-??-??-??-??-??) BOOTIF_RAW=$v ;;
    ??-??-??-??-??-??) BOOTIF_RAW=01-$v ;;
    *) BOOTIF_RAW="" ;;
  esac
  BOOT_MAC=$(echo "${BOOTIF_RAW#01-}" | tr '-' ':')
  [ -n "$BOOTIF_RAW" ] || BOOT_MAC=""
}

# ----------------------------------------------------------------------------------- cpu --
cpu() {
  o cpu
  awk -F': *' -v arch="$(uname -m)" '
    /^processor[ \t]*:/ { count++ }
    /^model name[ \t]*:/ && model == "" { model = $2 }
    /^cpu MHz[ \t]*:/ && mhz == "" { mhz = $2 }
    /^flags[ \t]*:/ && flags == "" { flags = $2 }
    /^physical id[ \t]*:/ { if (!($2 in ids)) { ids[$2] = 1; sockets++ } }
    END {
      printf "S\tmodel_name\t%s\nS\tfrequency\t%s\nn\tcount\t%d\ns\tarchitecture\t%s\n", model, mhz, count, arch
      printf "[\tflags\t\n"
      nf = split(flags, f, /[ \t]+/)
      for (i = 1; i <= nf; i++) if (f[i] != "") printf "s\t\t%s\n", f[i]
      printf "]\nn\tsocket_count\t%d\n", (sockets > 0 ? sockets : 1)
    }' "$R/proc/cpuinfo" || fail "cannot read /proc/cpuinfo"
  c
}

# -------------------------------------------------------------------------------- memory --
# physical_mb: the sum of the SMBIOS type 17 (Memory Device) sizes, as IPA gets it from
# dmidecode. SMBIOS 3.x §7.18.5: Size (offset 0Ch, WORD) in MB, or KB when bit 15 is set;
# 7FFFh means the size is in Extended Size (offset 1Ch, DWORD, MB); 0 and FFFFh mean none/unknown.
physical_mb() {
  local total=0 e sz ext len
  for e in "$R"/sys/firmware/dmi/entries/17-*; do
    [ -r "$e/raw" ] || continue
    len=$(od -An -tu1 -j1 -N1 "$e/raw" | tr -d ' ')
    sz=$(od -An -tu2 -j12 -N2 "$e/raw" | tr -d ' ')
    case "$sz" in "" | 0 | 65535) continue ;; esac
    if [ "$sz" = 32767 ] && [ "${len:-0}" -ge 32 ]; then
      ext=$(od -An -tu4 -j28 -N4 "$e/raw" | tr -d ' ')
      total=$((total + (ext & 2147483647)))
    elif [ $((sz & 32768)) -ne 0 ]; then
      total=$((total + (sz & 32767) / 1024))
    else
      total=$((total + sz))
    fi
  done
  [ "$total" -gt 0 ] && echo "$total"
}

memory() {
  local kb pmb
  kb=$(awk '/^MemTotal:/ { print $2; exit }' "$R/proc/meminfo" 2>/dev/null)
  [ -n "$kb" ] || fail "no MemTotal in /proc/meminfo"
  pmb=$(physical_mb)
  # Without SMBIOS memory devices, round MemTotal up to 128 MiB as a stand-in (IPA falls back to
  # the total memory as well; the kernel keeps some RAM out of MemTotal).
  [ -n "$pmb" ] || [ -z "$kb" ] || pmb=$(((kb + 131071) / 131072 * 128))
  o memory
  n total "$((${kb:-0} * 1024))"
  n physical_mb "$pmb"
  c
}

# --------------------------------------------------------------------------------- disks --
disk_list() {
  local d name size
  for d in "$R"/sys/block/*; do
    [ -e "$d" ] || continue
    name=${d##*/}
    case "$name" in loop* | ram* | zram* | sr* | fd* | dm-* | md* | nbd* | mtd*) continue ;; esac
    rd "$d/size" && [ "$RD" -gt 0 ] 2>/dev/null || continue
    echo "$name"
  done
}

# udev path_id's name for the disk (systemd 252 src/udev/udev-builtin-path_id.c rules for the
# controllers a ramdisk meets: ATA "ata-PORT.TARGET", NVMe "nvme-NSID", other SCSI
# "scsi-H:B:T:L", virtio-blk the PCI function alone).
by_path() {
  local name=$1 real pci hctl port nsid ata
  real=$(readlink -f "$R/sys/block/$name" 2>/dev/null) || return 0
  pci=$(echo "$real" | awk -F/ '{ for (i = NF; i > 0; i--) if ($i ~ /^[0-9a-f]+:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7]$/) { print $i; exit } }')
  [ -n "$pci" ] || return 0
  hctl=$(echo "$real" | awk -F/ '{ for (i = NF; i > 0; i--) if ($i ~ /^[0-9]+:[0-9]+:[0-9]+:[0-9]+$/) { print $i; exit } }')
  ata=$(echo "$real" | awk -F/ '{ for (i = NF; i > 0; i--) if ($i ~ /^ata[0-9]+$/) { print $i; exit } }')
  case "$name" in
    nvme*n*)
      nsid=$(rdv "$R/sys/block/$name/nsid")
      [ -n "$nsid" ] || nsid=$(echo "$name" | sed 's/^nvme[0-9]*n\([0-9]*\).*/\1/')
      echo "/dev/disk/by-path/pci-$pci-nvme-$nsid" ;;
    *)
      if [ -n "$ata" ] && [ -n "$hctl" ]; then
        port=$(rdv "$R/sys/class/ata_port/$ata/port_no")
        [ -n "$port" ] || port=${ata#ata}
        set -- $(echo "$hctl" | tr ':' ' ')
        if [ "$2" != 0 ]; then echo "/dev/disk/by-path/pci-$pci-ata-$port.$2.0"
        else echo "/dev/disk/by-path/pci-$pci-ata-$port.$3"; fi
      elif [ -n "$hctl" ]; then
        echo "/dev/disk/by-path/pci-$pci-scsi-$hctl"
      else
        echo "/dev/disk/by-path/pci-$pci"
      fi ;;
  esac
}

# One disk object in IPA's BlockDevice shape (hardware.py list_all_block_devices).
disk() { # disk NAME [KEY]
  local name=$1 d="$R/sys/block/$1" size model vendor serial wwn rot hctl tran link
  rd "$d/size"; size=$((RD * 512))
  model=$(rdv "$d/device/model")
  vendor=$(rdv "$d/device/vendor")
  serial=$(rdv "$d/device/serial")
  [ -n "$serial" ] || serial=$(rdv "$d/serial")
  if [ -z "$serial" ] && [ -r "$d/device/vpd_pg80" ]; then
    # SCSI VPD page 80h (SPC-4 §7.8.15): 4-byte header, then the serial number (libata fills it).
    serial=$(dd if="$d/device/vpd_pg80" bs=1 skip=4 2>/dev/null | tr -d '\000\n' | sed 's/^ *//; s/ *$//')
  fi
  # wwn as udev's ID_WWN: only NAA and EUI-64 designators count (not t10 vendor strings).
  wwn=$(rdv "$d/device/wwid")
  [ -n "$wwn" ] || wwn=$(rdv "$d/wwid")
  case "$wwn" in naa.* | eui.*) wwn=0x${wwn#????} ;; *) wwn="" ;; esac
  rot=$(rdv "$d/queue/rotational")
  link=$(readlink "$d/device" 2>/dev/null)
  hctl=""
  case "${link##*/}" in *:*:*:*) hctl=${link##*/} ;; esac
  real=$(readlink -f "$d" 2>/dev/null)
  case "$real" in
    */nvme/*) tran=nvme ;;
    */usb[0-9]*) tran=usb ;;
    */ata[0-9]*) tran=sata ;;
    */virtio[0-9]*) tran="" ;;
    *) [ -n "$hctl" ] && tran=scsi || tran="" ;;
  esac
  o "$2"
  s name "/dev/$name"
  S model "$model"
  n size "$size"
  b rotational "$([ "$rot" = 0 ] && echo false || echo true)"
  S wwn "$wwn"
  S serial "$serial"
  S vendor "$vendor"
  S wwn_with_extension "$wwn"
  z wwn_vendor_extension
  S hctl "$hctl"
  S by_path "$(by_path "$name")"
  n logical_sectors "$(rdv "$d/queue/logical_block_size")"
  n physical_sectors "$(rdv "$d/queue/physical_block_size")"
  S tran "$tran"
  c
}

# IPA's guess_root_disk: the smallest disk of at least 4 GiB.
root_disk_name() {
  local name best="" bestsz=0 sz
  for name in $(disk_list); do
    rd "$R/sys/block/$name/size"; sz=$((RD * 512))
    [ "$sz" -ge 4294967296 ] || continue
    if [ -z "$best" ] || [ "$sz" -lt "$bestsz" ]; then best=$name; bestsz=$sz; fi
  done
  echo "$best"
}

# ---------------------------------------------------------------------------- interfaces --
iface_list() {
  local d
  for d in "$R"/sys/class/net/*; do
    [ -e "$d/device" ] || continue # physical NICs only, as IPA's list_network_interfaces
    echo "${d##*/}"
  done
}

# Raw LLDP TLVs of the frames captured on an interface as [[type, "hex value"], …] (IEEE 802.1AB
# §8.4: 7-bit type, 9-bit length), the shape IPA's collect_lldp_data gives.
lldp_tlvs() { # lldp_tlvs IFNAME KEY
  local f="${RD_LLDP_DIR:-/nonexistent}/$1.hex"
  if [ ! -s "$f" ]; then z "$2"; return; fi
  a "$2"
  awk -f "$LIB/lldp.awk" "$f"
  e
}

iface() { # iface NAME
  local name=$1 d="$R/sys/class/net/$1" link pci carrier speed
  link=$(readlink -f "$d/device" 2>/dev/null)
  pci=$(echo "$link" | awk -F/ '{ for (i = NF; i > 0; i--) if ($i ~ /^[0-9a-f]+:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7]$/) { print $i; exit } }')
  rd "$d/carrier"; carrier=$RD
  rd "$d/speed"; speed=$RD
  [ "${speed:-0}" -gt 0 ] 2>/dev/null || speed=""
  o
  s name "$name"
  S mac_address "$(rdv "$d/address")"
  S ipv4_address "$(ip -o -4 addr show dev "$name" 2>/dev/null | awk '{ split($4, p, "/"); print p[1]; exit }')"
  S ipv6_address "$(ip -o -6 addr show dev "$name" scope global 2>/dev/null | awk '{ split($4, p, "/"); print p[1]; exit }')"
  b has_carrier "$carrier"
  if [ "${RD_COLLECT_LLDP:-0}" = 1 ]; then lldp_tlvs "$name" lldp; else z lldp; fi
  S vendor "$(rdv "$d/device/vendor")"
  S product "$(rdv "$d/device/device")"
  z client_id
  z biosdevname
  n speed_mbps "$speed"
  S pci_address "$pci"
  link=$(readlink "$d/device/driver" 2>/dev/null)
  S driver "${link##*/}"
  c
}

# ------------------------------------------------------------------------------------- bmc --
# IPA hardware.get_bmc_address/get_bmc_mac/get_bmc_v6address: the first channel whose `lan print`
# has a non-zero address; "0.0.0.0" and "::/0" when there is none.
BMC_IP=0.0.0.0 BMC_MAC="" BMC_V6="::/0"
bmc_probe() {
  local ch out ip mac
  if [ ! -e "$R/dev/ipmi0" ] && [ ! -e "$R/dev/ipmi/0" ] && [ ! -e "$R/dev/ipmidev/0" ]; then
    echo "collect: no IPMI system interface (/dev/ipmi0)" >&2
    return
  fi
  command -v ipmitool >/dev/null 2>&1 || { echo "collect: no ipmitool in this ramdisk" >&2; return; }
  for ch in 1 2 3 4 5 6 7 8 9 10 11; do
    out=$(timeout 10 ipmitool lan print "$ch" 2>/dev/null) || continue
    ip=$(echo "$out" | awk -F' *: *' '$1 == "IP Address" { print $2; exit }')
    mac=$(echo "$out" | awk -F' *: ' '$1 == "MAC Address" { print $2; exit }')
    case "$ip" in "" | 0.0.0.0) continue ;; esac
    BMC_IP=$ip BMC_MAC=$mac BMC_CHANNEL=$ch
    echo "collect: BMC on channel $ch: $ip $mac" >&2
    break
  done
  [ "$BMC_IP" = 0.0.0.0 ] && echo "collect: no BMC LAN channel answered 'ipmitool lan print' with an address" >&2
  out=$(timeout 10 ipmitool lan6 print "${BMC_CHANNEL:-1}" 2>/dev/null) || return 0
  ip=$(echo "$out" | awk '/Address:/ && $NF ~ /:/ && $NF !~ /^fe80/ && $NF != "::/0" { print $NF; exit }')
  [ -n "$ip" ] && BMC_V6=$ip
}

# --------------------------------------------------------------------------- pci_devices --
# IPA collect_pci_devices_info: ids without the 0x prefix.
pci_devices() {
  local d v p cl rev numa
  a pci_devices
  for d in "$R"/sys/bus/pci/devices/*; do
    [ -d "$d" ] || continue
    v=$(rdv "$d/vendor"); p=$(rdv "$d/device"); cl=$(rdv "$d/class"); rev=$(rdv "$d/revision")
    [ -n "$v" ] && [ -n "$p" ] && [ -n "$cl" ] || continue
    numa=$(rdv "$d/numa_node")
    o
    s vendor_id "${v#0x}"
    s product_id "${p#0x}"
    s class "${cl#0x}"
    S revision "${rev#0x}"
    s bus "${d##*/}"
    S numa_node_id "$numa"
    c
  done
  e
}

# --------------------------------------------------------------------------------- dmi --
dmi() { rdv "$R/sys/class/dmi/id/$1"; }

# ------------------------------------------------------------------------------- output --
bootif_forms "${RD_BOOTIF:-}"
o
if has_collector default; then
  bmc_probe
  o inventory
  a interfaces
  for i in $(iface_list); do iface "$i"; done
  e
  cpu
  a disks
  for d in $(disk_list); do disk "$d"; done
  e
  memory
  s bmc_address "$BMC_IP"
  s bmc_v6address "$BMC_V6"
  S bmc_mac "$BMC_MAC"
  o system_vendor
  S product_name "$(dmi product_name)"
  S serial_number "$(dmi product_serial)"
  S manufacturer "$(dmi sys_vendor)"
  o firmware
  S vendor "$(dmi bios_vendor)"
  S version "$(dmi bios_version)"
  S build_date "$(dmi bios_date)"
  c
  c
  o boot
  s current_boot_mode "$([ -d "$R/sys/firmware/efi" ] && echo uefi || echo bios)"
  S pxe_interface "$BOOTIF_RAW"
  c
  S hostname "$(hostname 2>/dev/null)"
  c
  rootd=$(root_disk_name)
  if [ -n "$rootd" ]; then disk "$rootd" root_disk; fi
  S boot_interface "$BOOTIF_RAW"
  o configuration
  a collectors
  for x in $COLLECTORS; do s "" "$x"; done
  e
  a managers
  o
  s name inspectord_ramdisk
  s version "${RD_VERSION:-1}"
  c
  e
  c
fi
[ -z "$(iface_list)" ] && fail "no network interfaces found"
if has_collector pci-devices; then pci_devices; fi
if has_collector lldp; then
  o lldp_raw
  for i in $(iface_list); do [ -s "${RD_LLDP_DIR:-/nonexistent}/$i.hex" ] && lldp_tlvs "$i" "$i"; done
  c
fi
[ -n "${RD_TOKEN:-}" ] && s token "$RD_TOKEN"
S error "$FAILURES"
c
