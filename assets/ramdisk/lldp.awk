# One captured LLDP frame (hex, first line of the input, any non-hex characters ignored) to the
# token stream json.awk reads: one [type, "hex value"] pair per TLV, as IPA's lldp_raw.
# IEEE 802.1AB-2016 §8.4: after the 14-byte Ethernet header (ethertype 88CCh) each TLV starts with
# 16 bits = 7-bit type + 9-bit length; type 0 (End of LLDPDU) ends the list.
function hexval(h,    i, v) {
  v = 0
  for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
  return v
}
NR == 1 {
  f = tolower($0)
  gsub(/[^0-9a-f]/, "", f)
  if (substr(f, 25, 4) != "88cc") exit
  p = 29 # hex digit position of the first TLV (1-based: 14 bytes × 2 + 1)
  while (p + 3 <= length(f)) {
    hdr = hexval(substr(f, p, 4))
    type = int(hdr / 512); len = hdr % 512
    if (type == 0) break
    if (p + 4 + len * 2 - 1 > length(f)) break # truncated frame: drop the partial TLV
    printf "[\t\t\nn\t\t%d\ns\t\t%s\n]\n", type, substr(f, p + 4, len * 2)
    p += 4 + len * 2
  }
}
