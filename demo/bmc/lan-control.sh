#!/bin/sh
# ipmi_sim lan_config_program: the BMC's LAN settings as `lan print` (and the ramdisk) report them.
op=$1
shift 1
case "$op" in
  get)
    for p in "$@"; do
      case "$p" in
        ip_addr) v=${DEMO_BMC_IP:-198.18.1.1} ;;
        ip_addr_src) v=static ;;
        mac_addr) v=${DEMO_BMC_MAC:-52:54:00:be:ef:01} ;;
        subnet_mask) v=255.255.255.255 ;;
        default_gw_ip_addr | backup_gw_ip_addr) v=0.0.0.0 ;;
        default_gw_mac_addr | backup_gw_mac_addr) v=00:00:00:00:00:00 ;;
        *) echo "unknown parameter $p"; exit 1 ;;
      esac
      echo "$p:$v"
    done ;;
  set | check) exit 0 ;;
  *) echo "unknown operation $op"; exit 1 ;;
esac
