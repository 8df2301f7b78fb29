// Request-body JSON parsing for the API: any content type, empty body → undefined, malformed or
// too deeply nested JSON → ERR_API_BAD_JSON (400). The nesting bound keeps recursive code after
// the parser (JSON.stringify of the unprocessed data, structuredClone, hooks, rule templates)
// from overflowing the stack: V8's JSON.parse accepts a million levels, JSON.stringify on the
// main thread fails near 5,000 and turned such a post into a 500 (found by test/unit/fuzz).
import { AppError } from '../core/errors.js';

/** Python's default recursion limit, which bounds what ironic-inspector itself could decode. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Deepest `[`/`{` nesting of a JSON text, stopping once past `limit`. Scans bytes: UTF-8
 * continuation bytes never equal these ASCII codes, so multi-byte characters need no decoding.
 */
export function jsonNestingExceeds(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** Parse a request body; throws AppError ERR_API_BAD_JSON (400) for what the API cannot take. */
export function parseJsonBody(body: Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  if (body.length === 0) return undefined;
  if (jsonNestingExceeds(body, maxDepth)) {
    throw new AppError(
      'ERR_API_BAD_JSON',
      `Malformed JSON in the request body: nested deeper than ${maxDepth} levels`,
    );
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new AppError('ERR_API_BAD_JSON', `Malformed JSON in the request body: ${(error as Error).message}`);
  }
}
