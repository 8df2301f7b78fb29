# inspectord: introspection boot{{forMac}}. Generated; do not edit.
DEFAULT inspect
PROMPT 0
TIMEOUT 0
ONTIMEOUT inspect

LABEL inspect
  KERNEL {{kernel}}
  APPEND initrd={{initramfs}} {{cmdline}}
  IPAPPEND 2
