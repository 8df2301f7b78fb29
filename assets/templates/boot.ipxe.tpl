#!ipxe
# inspectord: introspection boot{{forMac}}. Generated; do not edit.
:retry_boot
kernel --name kernel {{kernel}} {{cmdline}} BOOTIF=01-${netX/mac:hexhyp} initrd=initramfs || goto retry
initrd --name initramfs {{initramfs}} || goto retry
boot

:retry
echo inspectord: download failed, retrying in 5 s
sleep 5
goto retry_boot
