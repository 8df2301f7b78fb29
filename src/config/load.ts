// Loads the INI config file against the schema: coerces types, fills defaults, validates, and
// reports EVERY problem at once (unknown sections/options, bad types, out-of-range values).
import { parse } from 'ini';
import { parseStrictBool } from '../core/strict-bool.js';
import { schema, type Config, type OptionSpec } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function coerce(spec: OptionSpec, raw: unknown, where: string, problems: string[]): unknown {
  const text = Array.isArray(raw) ? raw.join(',') : String(raw ?? '');
  switch (spec.type) {
    case 'string': {
      if (spec.choices && !spec.choices.includes(text)) {
        problems.push(`${where}: "${text}" is not one of ${spec.choices.map((c) => `"${c}"`).join(', ')}`);
        return spec.default;
      }
      return text;
    }
    case 'int':
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
        problems.push(`${where}: "${text}" is not ${spec.type === 'int' ? 'an integer' : 'a number'}`);
        return spec.default;
      }
      if (spec.min !== undefined && n < spec.min)
        problems.push(`${where}: ${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max)
        problems.push(`${where}: ${n} is above the maximum ${spec.max}`);
      return n;
    }
    case 'bool': {
      const b = typeof raw === 'boolean' ? raw : parseStrictBool(text);
      if (b === null) {
        problems.push(`${where}: "${text}" is not a boolean (true/false, yes/no, on/off, 1/0)`);
        return spec.default;
      }
      return b;
    }
    case 'list': {
      const items = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (spec.choices) {
        for (const item of items) {
          if (!spec.choices.includes(item))
            problems.push(`${where}: "${item}" is not one of ${spec.choices.join(', ')}`);
        }
      }
      return Object.freeze(items);
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Build a config from parsed INI sections (an object of objects). */
export function buildConfig(sections: Record<string, unknown>, file = '<inline>'): Config {
  const problems: string[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, options] of Object.entries(schema)) {
    out[group] = {};
    for (const [name, spec] of Object.entries(options as Record<string, OptionSpec>)) {
      out[group][name] = spec.type === 'list' ? Object.freeze([...spec.default]) : spec.default;
    }
  }
  for (const [group, values] of Object.entries(sections)) {
    const specs = (schema as Record<string, Record<string, OptionSpec>>)[group];
    if (!specs) {
      problems.push(`unknown section [${group}] (known: ${Object.keys(schema).join(', ')})`);
      continue;
    }
    if (values === null || typeof values !== 'object') {
      problems.push(`[DEFAULT] ${group}: options must be inside a section`);
      continue;
    }
    for (const [name, raw] of Object.entries(values as Record<string, unknown>)) {
      const spec = specs[name];
      if (!spec) {
        problems.push(`unknown option [${group}] ${name}`);
        continue;
      }
      out[group]![name] = coerce(spec, raw, `[${group}] ${name}`, problems);
    }
  }
  crossCheck(out as unknown as Config, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return deepFreeze(out) as unknown as Config;
}

/** Rules that involve more than one option (the reference refuses these at start-up too). */
function crossCheck(config: Config, problems: string[]): void {
  if (config.processing.add_ports === 'disabled' && config.processing.keep_ports === 'added') {
    problems.push('[processing] add_ports = disabled with keep_ports = added would delete every port');
  }
  try {
    const flags: unknown = JSON.parse(config.capabilities.cpu_flags);
    if (!flags || typeof flags !== 'object' || Array.isArray(flags)) throw new Error('not an object');
  } catch (error) {
    problems.push(`[capabilities] cpu_flags: not a JSON object (${(error as Error).message})`);
  }
  for (const entry of config.pci_devices.alias) {
    try {
      JSON.parse(entry);
    } catch {
      problems.push(`[pci_devices] alias: "${entry}" is not JSON`);
    }
  }
  for (const value of config.ipmi.retry_timeouts) {
    if (!/^\d+$/.test(value) || Number(value) <= 0)
      problems.push(`[ipmi] retry_timeouts: "${value}" is not a positive number of ms`);
  }
  if (config.DEFAULT.public_url !== '' && !/^https?:\/\/[^/]+/.test(config.DEFAULT.public_url)) {
    problems.push(`[DEFAULT] public_url: "${config.DEFAULT.public_url}" is not an http(s) URL`);
  }
}

/** Parse INI text: top-level keys belong to [DEFAULT]; `#` and `;` start comments. */
export function parseIni(text: string): Record<string, unknown> {
  const parsed = parse(text) as Record<string, unknown>;
  const sections: Record<string, unknown> = {};
  const defaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) sections[key] = value;
    else defaults[key] = value;
  }
  if (Object.keys(defaults).length > 0) {
    sections.DEFAULT = { ...(sections.DEFAULT as Record<string, unknown> | undefined), ...defaults };
  }
  return sections;
}

/** Apply `section.option=value` overrides (CLI flags) on top of a loaded config's sections. */
export function withOverrides(
  sections: Record<string, unknown>,
  overrides: string[],
): Record<string, unknown> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(sections)) merged[k] = { ...(v as Record<string, unknown>) };
  for (const item of overrides) {
    const m = /^([A-Za-z_]+)\.([A-Za-z0-9_]+)=(.*)$/.exec(item);
    if (!m) throw new ConfigError('<command line>', [`--set "${item}": expected section.option=value`]);
    const [, group, name, value] = m as unknown as [string, string, string, string];
    (merged[group] ??= {})[name] = value;
  }
  return merged;
}
