// The contracts every condition op and action implements; one file per plugin registers in
// registry.ts. Param checks follow ironic-inspector's REQUIRED_PARAMS / OPTIONAL_PARAMS model.
import type { NodeRecord } from '../core/node.js';

/** A problem with one parameter of a condition or action (becomes `conditions[i].<param>`). */
export interface ParamError {
  param: string;
  message: string;
}

interface ParamSpec {
  /** Must be present and non-null (a null value counts as missing, as in ironic-inspector). */
  required: readonly string[];
  /** May be given; anything not listed is "unexpected" unless `anyParams`. */
  optional: readonly string[];
  /** Must be present, but null is a valid value (set-attribute `value`). */
  presentNullable?: readonly string[];
  /** Accept any extra parameter (the `example` action). */
  anyParams?: boolean;
  /** Plugin-specific checks once presence is fine (CIDR, regex, types). */
  validate?(params: Record<string, unknown>): ParamError | null;
}

export interface ConditionPlugin extends ParamSpec {
  op: string;
  /** When the path finds nothing, test null instead of failing (only `is-empty`). */
  allowMissing: boolean;
  /** May throw ConditionCheckError (bad coercion/comparison); the engine records it. */
  check(field: unknown, params: Record<string, unknown>): boolean;
}

export type ActionOutcome =
  | { ok: true; note?: string }
  /** `failed`: the rule asked to fail (fail action); otherwise the action itself could not run. */
  | { ok: false; error: string; failed?: boolean };

export interface ActionPlugin extends ParamSpec {
  action: string;
  /** Params formatted against the introspection data before apply (`{data[…]}`). */
  formatted: readonly string[];
  /** Mutates the working copy of the node (the engine cloned it); must not mutate on error. */
  apply(node: NodeRecord, params: Record<string, unknown>): ActionOutcome;
}

/** Shared presence check: missing required and unexpected parameters, then the plugin's own. */
export function checkParams(spec: ParamSpec, params: Record<string, unknown>): ParamError[] {
  const errors: ParamError[] = [];
  for (const name of spec.required) {
    if (params[name] === undefined || params[name] === null) {
      errors.push({ param: name, message: `missing required parameter(s): ${name}` });
    }
  }
  for (const name of spec.presentNullable ?? []) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) {
      errors.push({ param: name, message: `missing required parameter(s): ${name}` });
    }
  }
  if (!spec.anyParams) {
    const known = new Set([...spec.required, ...spec.optional, ...(spec.presentNullable ?? [])]);
    for (const name of Object.keys(params)) {
      if (!known.has(name)) errors.push({ param: name, message: `unexpected parameter(s): ${name}` });
    }
  }
  if (errors.length === 0 && spec.validate) {
    const e = spec.validate(params);
    if (e) errors.push(e);
  }
  return errors;
}
