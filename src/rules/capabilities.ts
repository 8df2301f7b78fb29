// set-capability's update of the capabilities string; values are rendered like Python's str()
// so rules behave as ironic-inspector's do. Parsing/formatting is core's.
import { formatCapabilities, parseCapabilities } from '../core/capabilities.js';
import { pythonStr } from './python-format.js';

/** Set (or with null/undefined remove) one capability; returns the new string. */
export function updateCapability(caps: unknown, name: string, value: unknown): string {
  const map = parseCapabilities(caps, pythonStr);
  if (value === null || value === undefined) map.delete(name);
  else map.set(name, pythonStr(value));
  return formatCapabilities(map);
}
