// API microversions: both request headers are accepted (the reference parses only the
// X-OpenStack-… one); default = maximum; malformed → 400, out of range → 406.
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../core/errors.js';

export const MIN_VERSION: [number, number] = [1, 0];
export const MAX_VERSION: [number, number] = [1, 18];

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

export function parseVersionString(value: string): [number, number] {
  const text = value.trim();
  if (text.toLowerCase() === 'latest') return MAX_VERSION;
  const m = /^(\d+)\.(\d+)$/.exec(text);
  if (!m) {
    throw new AppError(
      'ERR_API_BAD_VERSION',
      `Malformed API version: expected string in form of X.Y or latest, got ${value}`,
    );
  }
  const version: [number, number] = [Number(m[1]), Number(m[2])];
  if (compare(version, MIN_VERSION) < 0 || compare(version, MAX_VERSION) > 0) {
    throw new AppError(
      'ERR_API_VERSION_UNSUPPORTED',
      `Unsupported API version ${text}, supported range is ${MIN_VERSION.join('.')} to ${MAX_VERSION.join('.')}`,
    );
  }
  return version;
}

export function parseRequestedVersion(headers: IncomingHttpHeaders): [number, number] {
  const legacy = headers['x-openstack-ironic-inspector-api-version'];
  if (typeof legacy === 'string' && legacy.trim() !== '') return parseVersionString(legacy);
  const standard = headers['openstack-api-version'];
  if (typeof standard === 'string') {
    for (const part of standard.split(',')) {
      const m = /^\s*baremetal-introspection\s+(\S+)\s*$/i.exec(part);
      if (m) return parseVersionString(m[1] as string);
    }
  }
  return MAX_VERSION;
}

export function atLeast(version: [number, number], wanted: [number, number]): boolean {
  return compare(version, wanted) >= 0;
}
