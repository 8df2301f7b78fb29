#!/usr/bin/env bash
# Installs everything inspectord's build, tests and demo need on Debian 12 + Node 20:
# Debian packages (real protocol peers for the integration tests, nft, ipmi_sim, boot loaders)
# and the npm dependencies from the committed lockfile. Idempotent; cheap when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the test suite and the demo use. Keep in step with docs/development.md.
DEB_PACKAGES=(
  iproute2 nftables procps psmisc kmod
  busybox isc-dhcp-client kea-admin dnsmasq-base
  tftp-hpa atftp curl tftpd-hpa
  ipmitool openipmi
  python3-openstacksdk python3-yaml python3-prometheus-client
  pxelinux syslinux-common ipxe
  systemd
  lldpd tcpdump
  # benchmarks (bench/api-bench.ts)
  wrk
  # discovery ramdisk: build (cpio; the rest is fetched with apt-get download) and its qemu boot test
  cpio qemu-system-x86 ipxe-qemu seabios
)
if [[ "${1:-}" == "--demo" ]]; then
  DEB_PACKAGES+=(ovmf syslinux-efi grub-efi-amd64-signed busybox-static gzip xz-utils zstd)
fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies, from the lockfile, only when it changed since the last install.
stamp=node_modules/.stamp-lock
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm dependencies (from package-lock.json)"
  # `npm install --no-save` installs the locked versions without rewriting the lockfile. Not
  # `npm ci`: npm 11 omits other platforms' optional native bindings (unrs-resolver, pulled in by
  # the TypeScript import resolver of the lint rule) from the lockfile and then refuses it.
  npm install --no-save --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
