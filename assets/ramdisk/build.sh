#!/usr/bin/env bash
# Builds inspectord's discovery ramdisk (discovery.kernel + discovery.initramfs) from Debian
# packages only, reproducibly (fixed mtimes, sorted newc cpio, gzip -n) and cached by a key made
# of the package versions and the hash of this script and the ramdisk's own files.
#
# Usage: build.sh [--out DIR] [--cache DIR] [--force] [--no-ipmitool] [--print-key]
#   --out DIR      where discovery.kernel/.initramfs/.manifest go (default: the cache dir)
#   --cache DIR    cache root (default $INSPECTORD_RAMDISK_CACHE or /var/cache/inspectord/ramdisk)
#   --force        rebuild even when a build with the same key is cached
#   --no-ipmitool  leave ipmitool out (no bmc_address, no in-band credential setting)
#   --no-lldp      leave tcpdump out (no LLDP capture for ipa-collect-lldp=1)
#   --print-key    print the cache key and exit
# Environment: SOURCE_DATE_EPOCH (mtime of every file in the image, default 0),
#   RAMDISK_MODULES (extra kernel modules, space separated, e.g. "igb ixgbe tg3 bnxt_en").
set -euo pipefail
umask 022
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${INSPECTORD_RAMDISK_CACHE:-/var/cache/inspectord/ramdisk}
OUT=""
FORCE=0
WITH_IPMITOOL=1
WITH_LLDP=1
PRINT_KEY=0
while (($#)); do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --no-ipmitool) WITH_IPMITOOL=0; shift ;;
    --no-lldp) WITH_LLDP=0; shift ;;
    --print-key) PRINT_KEY=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-$CACHE}
EPOCH=${SOURCE_DATE_EPOCH:-0}
say() { printf 'ramdisk: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for tool in apt-get apt-cache dpkg-deb depmod cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh installs what is needed)"
done

# Drivers for every NIC and disk controller qemu offers, plus the in-band IPMI system interface.
# Their dependencies come from modules.dep. Real hardware needs more NIC drivers: RAMDISK_MODULES.
MODULES="e1000 e1000e igb virtio_net virtio_pci virtio_blk virtio_scsi 8139cp 8139too ne2k-pci
  pcnet32 vmxnet3 sd_mod sr_mod ata_piix ata_generic ahci nvme
  ipmi_msghandler ipmi_devintf ipmi_si ${RAMDISK_MODULES:-}"

# ------------------------------------------------------------------ packages and cache key --
# linux-image-amd64 is a metapackage: the image is the versioned package it depends on.
KPKG=$(apt-cache depends --no-recommends --no-suggests linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 to a kernel package (run apt-get update)"
PKGS=("$KPKG" busybox-static)
# The run-time closures of ipmitool and tcpdump on Debian 12 (checked below with the staged
# ld.so, so a missing library fails the build instead of the ramdisk).
TOOLS=()
if ((WITH_IPMITOOL)); then
  TOOLS+=(ipmitool)
  PKGS+=(ipmitool libfreeipmi17 libreadline8 libssl3 libgcrypt20 libtinfo6 libgpg-error0)
fi
if ((WITH_LLDP)); then
  TOOLS+=(tcpdump)
  PKGS+=(tcpdump libpcap0.8 libssl3 libdbus-1-3 libsystemd0 libcap2 libgcrypt20 liblzma5 libzstd1
    liblz4-1 libgpg-error0)
fi
((${#TOOLS[@]} == 0)) || PKGS+=(libc6)
mapfile -t PKGS < <(printf '%s\n' "${PKGS[@]}" | awk '!seen[$0]++')

# One apt-cache call for all candidates (each call costs seconds: it loads the package cache).
versions=$(apt-cache policy "${PKGS[@]}" 2>/dev/null | awk '
  /^[^ ]/ { sub(/:$/, ""); pkg = $0 } $1 == "Candidate:" && $2 != "(none)" { print pkg "=" $2 }')
for p in "${PKGS[@]}"; do
  grep -q "^$p=" <<<"$versions" || die "no installable version of $p (apt-get update?)"
done
versions=$(for p in "${PKGS[@]}"; do grep "^$p=" <<<"$versions"; done)$'\n'
KEY=$( {
  printf '%s' "$versions"
  printf 'modules=%s\ntools=%s\nepoch=%s\n' "$(echo $MODULES)" "${TOOLS[*]}" "$EPOCH"
  cat "$HERE/build.sh" "$HERE/init" "$HERE/collect.sh" "$HERE/json.awk" "$HERE/lldp.awk"
} | sha256sum | cut -c1-16)
if ((PRINT_KEY)); then echo "$KEY"; exit 0; fi

BUILD=$CACHE/builds/$KEY
publish() {
  mkdir -p "$OUT"
  local f
  for f in discovery.kernel discovery.initramfs discovery.manifest; do
    [ "$BUILD/$f" -ef "$OUT/$f" ] || cp "$BUILD/$f" "$OUT/$f.tmp.$$"
    [ -e "$OUT/$f.tmp.$$" ] && mv -f "$OUT/$f.tmp.$$" "$OUT/$f"
  done
  say "kernel    $OUT/discovery.kernel ($(stat -c %s "$OUT/discovery.kernel") bytes)"
  say "initramfs $OUT/discovery.initramfs ($(stat -c %s "$OUT/discovery.initramfs") bytes)"
}
if ((!FORCE)) && [ -s "$BUILD/discovery.manifest" ]; then
  say "cached build $KEY"
  publish
  exit 0
fi

DEBS=$CACHE/debs
mkdir -p "$DEBS"
fetch() { # fetch PKG=VERSION → path of its .deb in the cache (downloaded once)
  local p=${1%%=*} v=${1#*=} f
  # apt names the file PKG_VERSION_ARCH.deb with the epoch colon written as %3a.
  f=$(compgen -G "$DEBS/${p}_${v//:/%3a}_*.deb" | head -n1 || true)
  if [ -z "$f" ]; then
    say "downloading $p $v"
    (cd "$DEBS" && apt-get download -q "$p=$v" 2>&1 | grep -v -e 'unsandboxed' -e '^Get:' >&2 || true)
    f=$(compgen -G "$DEBS/${p}_${v//:/%3a}_*.deb" | head -n1 || true)
    [ -n "$f" ] || die "apt-get download $p=$v failed"
  fi
  echo "$f"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/inspectord-ramdisk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/stage
ROOT=$WORK/root
mkdir -p "$STAGE" "$ROOT"
while read -r pv; do
  [ -n "$pv" ] || continue
  dpkg-deb -x "$(fetch "$pv")" "$STAGE"
done <<<"$versions"

# ------------------------------------------------------------------------------- kernel --
vmlinuz=$(find "$STAGE/boot" -name 'vmlinuz-*' | head -n1)
[ -n "$vmlinuz" ] || die "no vmlinuz in $KPKG"
KVER=${vmlinuz##*/vmlinuz-}
KMOD=$STAGE/lib/modules/$KVER
# The .deb carries no modules.dep (the postinst runs depmod); make one to resolve dependencies.
depmod -b "$STAGE" "$KVER"

# --------------------------------------------------------------------------------- rootfs --
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,var/log,lib/modules/"$KVER"}
install -m 0755 "$STAGE/bin/busybox" "$ROOT/bin/busybox"
for app in $("$ROOT/bin/busybox" --list | sort); do
  [ "$app" = busybox ] || ln -s busybox "$ROOT/bin/$app"
done
install -m 0755 "$HERE/init" "$ROOT/init"
install -m 0755 "$HERE/collect.sh" "$ROOT/usr/bin/inspectord-collect"
mkdir -p "$ROOT/usr/share/inspectord"
install -m 0644 "$HERE/json.awk" "$ROOT/usr/share/inspectord/json.awk"
install -m 0644 "$HERE/lldp.awk" "$ROOT/usr/share/inspectord/lldp.awk"
echo inspectord-discovery >"$ROOT/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
printf 'kernel=%s\n%s' "$KVER" "$versions" >"$ROOT/etc/inspectord-ramdisk"
printf '%s\n' "$KEY" >>"$ROOT/etc/inspectord-ramdisk"

# -------------------------------------------------------------------------------- modules --
declare -A want=()
add_module() { # add_module RELPATH: the module and, recursively, what modules.dep lists for it
  local rel=$1 dep
  [ -z "${want[$rel]:-}" ] || return 0
  want[$rel]=1
  for dep in $(awk -v m="$rel:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$KMOD/modules.dep"); do
    add_module "$dep"
  done
}
for m in $MODULES; do
  pat=${m//[-_]/[-_]}
  rel=$(cut -d: -f1 "$KMOD/modules.dep" | grep -E "/${pat}\.ko(\.xz|\.zst|\.gz)?$" | head -n1 || true)
  if [ -z "$rel" ]; then
    grep -qE "/${pat}\.ko" "$KMOD/modules.builtin" 2>/dev/null || say "warning: module $m not in $KVER"
    continue
  fi
  add_module "$rel"
done
for rel in "${!want[@]}"; do
  install -D -m 0644 "$KMOD/$rel" "$ROOT/lib/modules/$KVER/$rel"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [ -f "$KMOD/$f" ] && install -m 0644 "$KMOD/$f" "$ROOT/lib/modules/$KVER/$f"
done
depmod -b "$ROOT" "$KVER"
say "kernel $KVER with ${#want[@]} modules"

# ---------------------------------------------------------------------- ipmitool, tcpdump --
# The dynamically linked tools and their glibc stay in a private prefix and run through their own
# ld.so: the static busybox must never find a libc.so.6 on the default path (its NSS lookups
# would dlopen modules built against it).
P=/opt/inspectord
LIBDIRS=$STAGE/lib/x86_64-linux-gnu:$STAGE/usr/lib/x86_64-linux-gnu
LDSO=$STAGE/lib64/ld-linux-x86-64.so.2
[ -e "$LDSO" ] || LDSO=$STAGE/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
for tool in "${TOOLS[@]}"; do
  bin=$(find "$STAGE/usr/bin" "$STAGE/usr/sbin" -name "$tool" -type f | head -n1)
  [ -n "$bin" ] || die "$tool missing from its package"
  install -D -m 0755 "$bin" "$ROOT$P/bin/$tool"
  install -D -m 0755 "$(readlink -f "$LDSO")" "$ROOT$P/lib/ld-linux-x86-64.so.2"
  listing=$("$LDSO" --library-path "$LIBDIRS" --list "$bin")
  if grep -q 'not found' <<<"$listing"; then die "libraries of $tool missing: $listing"; fi
  while read -r lib; do
    case "$lib" in "$STAGE"/*) install -m 0755 "$(readlink -f "$lib")" "$ROOT$P/lib/${lib##*/}" ;; esac
  done < <(awk '/=>/ { print $3 }' <<<"$listing" | sort)
  printf '#!/bin/sh\nexec %s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/bin/%s "$@"\n' \
    "$P" "$P" "$P" "$tool" >"$ROOT/usr/bin/$tool"
  chmod 0755 "$ROOT/usr/bin/$tool"
done

# ------------------------------------------------------------------------------------ pack --
mkdir -p "$BUILD"
find "$ROOT" -exec touch -h -d "@$EPOCH" {} +
(cd "$ROOT" && find . -mindepth 1 -print0 | sort -z |
  cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
  gzip -n -9 >"$BUILD/discovery.initramfs.tmp"
mv "$BUILD/discovery.initramfs.tmp" "$BUILD/discovery.initramfs"
install -m 0644 "$vmlinuz" "$BUILD/discovery.kernel"
{
  printf 'key=%s\nkernel=%s\nsource_date_epoch=%s\ntools=%s\nunpacked_bytes=%s\n' \
    "$KEY" "$KVER" "$EPOCH" "${TOOLS[*]}" "$(du -sb "$ROOT" | cut -f1)"
  printf '%s' "$versions"
  (cd "$BUILD" && sha256sum discovery.kernel discovery.initramfs)
} >"$BUILD/discovery.manifest"
say "built $KEY"
publish
