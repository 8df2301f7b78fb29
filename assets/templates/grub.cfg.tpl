# inspectord: introspection boot{{forMac}}. Generated; do not edit.
set default=0
set timeout=0

menuentry "inspectord introspection" {
  linux {{kernel}} {{cmdline}} BOOTIF=01-${net_default_mac}
  initrd {{initramfs}}
}
