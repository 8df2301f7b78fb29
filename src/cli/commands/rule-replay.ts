// `rule test FILE [--node N]…` (POST /v1/rules/dry-run: what the rules of a file would change,
// changing nothing) and `rule apply [--node N]…` (POST /v1/rules/apply: re-run the stored rules
// on stored data). Table output: one row per node with its matched rules and changes.
import type { CommandContext } from '../context.js';
import { EXIT } from '../failure.js';
import { printJson, renderTable } from '../output.js';
import { readInputFile } from './introspection.js';
import { parseRulesFile } from './rule.js';

interface Change {
  path: string;
  op: string;
  before?: unknown;
  after?: unknown;
}

interface NodeReport {
  uuid: string;
  name: string | null;
  evaluated: boolean;
  reason?: string;
  rules?: Array<{ uuid: string; matched: boolean }>;
  changes?: Change[];
  failed?: string;
  applied?: boolean;
}

/** `add /traits "CUSTOM_X"`, `set /properties/capabilities "a:1" → "a:1,b:2"`. */
export function describeChange(change: Change): string {
  const json = (v: unknown): string => JSON.stringify(v);
  if (change.op === 'add') return `add ${change.path} ${json(change.after)}`;
  if (change.op === 'remove') return `remove ${change.path} ${json(change.before)}`;
  return `set ${change.path} ${json(change.before)} → ${json(change.after)}`;
}

function rows(nodes: NodeReport[]): unknown[][] {
  return nodes.map((n) => {
    const matched = (n.rules ?? []).filter((r) => r.matched).map((r) => r.uuid);
    const outcome = !n.evaluated
      ? `skipped: ${n.reason ?? ''}`
      : n.failed !== undefined
        ? `FAILED: ${n.failed}`
        : (n.changes ?? []).length === 0
          ? 'no change'
          : (n.changes ?? []).map(describeChange).join('\n');
    return [n.name ?? n.uuid, matched.length > 0 ? matched.join(', ') : '-', outcome];
  });
}

function print(ctx: CommandContext, answer: { nodes: NodeReport[] }): void {
  if (ctx.format === 'json') {
    printJson(ctx.io, answer);
    return;
  }
  // Multi-line cells are split so the box table stays aligned.
  const flat: unknown[][] = [];
  for (const [node, matched, outcome] of rows(answer.nodes)) {
    String(outcome)
      .split('\n')
      .forEach((line, i) => flat.push(i === 0 ? [node, matched, line] : ['', '', line]));
  }
  ctx.io.stdout.write(renderTable(['Node', 'Matched rules', 'Changes'], flat));
}

export async function testRules(ctx: CommandContext, file: string, nodes: string[]): Promise<number> {
  const rules = parseRulesFile(await readInputFile(file), file);
  const answer = await ctx.client().json<{ nodes: NodeReport[] }>('POST', '/v1/rules/dry-run', {
    body: { rules, ...(nodes.length > 0 ? { nodes } : {}) },
  });
  print(ctx, answer);
  return EXIT.ok;
}

export async function applyRules(ctx: CommandContext, nodes: string[]): Promise<number> {
  const answer = await ctx.client().json<{ nodes: NodeReport[] }>('POST', '/v1/rules/apply', {
    body: nodes.length > 0 ? { nodes } : {},
  });
  print(ctx, answer);
  return answer.nodes.some((n) => n.failed !== undefined) ? EXIT.api : EXIT.ok;
}
