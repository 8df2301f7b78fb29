// Renders `inspector.conf.example` and `docs/config.md` from the schema; `node
// dist/src/config/generate-docs.js` writes both, and a unit test fails when they drift.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schema, type OptionSpec } from './schema.js';

function formatDefault(spec: OptionSpec): string {
  if (spec.type === 'list') return spec.default.join(',');
  return String(spec.default);
}

function wrap(text: string, width = 96, prefix = '# '): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line.length > 0 && line.length + word.length + 1 > width - prefix.length) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(prefix + line);
  return lines;
}

function describeType(spec: OptionSpec): string {
  const parts: string[] = [spec.type];
  if ((spec.type === 'string' || spec.type === 'list') && spec.choices)
    parts.push(`one of: ${spec.choices.map((c) => c || '""').join(', ')}`);
  if ((spec.type === 'int' || spec.type === 'float') && spec.min !== undefined) parts.push(`min ${spec.min}`);
  if ((spec.type === 'int' || spec.type === 'float') && spec.max !== undefined) parts.push(`max ${spec.max}`);
  if (spec.unit) parts.push(`unit: ${spec.unit}`);
  return parts.join('; ');
}

export function renderExample(): string {
  const out: string[] = [
    '# inspectord configuration (INI). Generated from src/config/schema.ts by',
    '# `npm run gen:config-docs`; do not edit by hand. Every option is shown commented out with',
    '# its default value.',
    '',
  ];
  for (const [group, options] of Object.entries(schema)) {
    out.push(`[${group}]`, '');
    for (const [name, spec] of Object.entries(options as Record<string, OptionSpec>)) {
      out.push(...wrap(spec.help), `# (${describeType(spec)})`, `#${name} = ${formatDefault(spec)}`, '');
    }
  }
  return out.join('\n');
}

export function renderMarkdown(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run gen:config-docs`; a unit test fails when',
    'this file drifts from the schema. The file is INI (`/etc/inspectord/inspector.conf` by default,',
    '`inspectord serve --config FILE`); loading reports every problem at once and exits non-zero.',
    '',
  ];
  for (const [group, options] of Object.entries(schema)) {
    out.push(`## [${group}]`, '', '| Option | Type | Default | Description |', '|---|---|---|---|');
    for (const [name, spec] of Object.entries(options as Record<string, OptionSpec>)) {
      const def = formatDefault(spec).replace(/\|/g, '\\|');
      out.push(`| \`${name}\` | ${describeType(spec)} | \`${def}\` | ${spec.help.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('../../../', import.meta.url);
  writeFileSync(new URL('inspector.conf.example', root), renderExample());
  writeFileSync(new URL('docs/config.md', root), renderMarkdown());
}
