// The reference's strict boolean parse (oslo strutils): 1/0, true/false, yes/no, on/off, t/f,
// y/n, case-insensitive. Shared by config files, API query parameters, hints and CLI flags.
const TRUE = new Set(['1', 'true', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['0', 'false', 'no', 'off', 'f', 'n']);

/** true/false, or null when the text is not a boolean. */
export function parseStrictBool(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return null;
}
