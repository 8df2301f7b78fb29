// LLDP string fields are "alphanumeric" octet strings (IEEE 802.1AB §8.5); switches send UTF-8
// in practice. Invalid UTF-8 is decoded as Latin-1 rather than dropping the field.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeText(bytes: Uint8Array): { value: string; lossy: boolean } {
  try {
    return { value: utf8.decode(bytes), lossy: false };
  } catch {
    return { value: String.fromCharCode(...bytes), lossy: true };
  }
}
