// Rule condition fields: `[data://|node://]<JSONPath>`; data:// (the default) addresses the
// processed introspection data, node:// the node record (secrets masked).
import { parseJsonPath, type CompiledPath } from './jsonpath.js';
import { boundedMemo } from './memo.js';

export type FieldScheme = 'data' | 'node';

export type FieldParse = { ok: true; scheme: FieldScheme; path: CompiledPath } | { ok: false; error: string };

/** Parsed once per distinct field string: every callback evaluates every rule's conditions. */
const parseMemo = boundedMemo(parseFieldText);

export function parseRuleField(field: unknown): FieldParse {
  if (typeof field !== 'string') return { ok: false, error: 'field must be a string' };
  return parseMemo(field);
}

function parseFieldText(field: string): FieldParse {
  const parts = field.split('://');
  let scheme = 'data';
  let path = field;
  if (parts.length === 2) {
    scheme = parts[0] ?? '';
    path = parts[1] ?? '';
  }
  if (scheme !== 'data' && scheme !== 'node') {
    return {
      ok: false,
      error: `Unsupported scheme for field: ${scheme}, valid values are node:// or data://`,
    };
  }
  const parsed = parseJsonPath(path);
  if (!parsed.ok) return { ok: false, error: `Unable to parse field JSON path ${field}: ${parsed.error}` };
  return { ok: true, scheme, path: parsed.path };
}
