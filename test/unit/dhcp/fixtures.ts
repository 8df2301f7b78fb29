// Loads the captured DHCP packets of test/fixtures/dhcp/*.hex (lines starting with # are notes).
import { readFileSync, readdirSync } from 'node:fs';

const dir = new URL('../../../../test/fixtures/dhcp/', import.meta.url);

export function loadHex(name: string): Buffer {
  const text = readFileSync(new URL(`${name}.hex`, dir), 'utf8');
  const hex = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

export function fixtureNames(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .map((f) => f.slice(0, -4));
}
