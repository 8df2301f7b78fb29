// `rule import|list|show|delete|purge`, mirroring `openstack baremetal introspection rule …`
// (reference §2.2): import posts each rule of a JSON or YAML file exactly as written.
import type { Argv } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { seg, type CommandContext, type Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';
import { printJson, renderObject, renderTable } from '../output.js';
import { readInputFile } from './introspection.js';
import { applyRules, testRules } from './rule-replay.js';

function nodeOption(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** The rules in a file: one rule object or a list of them. YAML is a superset of JSON. */
export function parseRulesFile(text: string, file: string): Record<string, unknown>[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw usageError(`${file} is neither valid JSON nor valid YAML: ${(error as Error).message}`);
  }
  const rules = Array.isArray(document) ? document : [document];
  if (rules.length === 0) throw usageError(`${file} holds no rules`);
  rules.forEach((rule, index) => {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule))
      throw usageError(`${file}: rule ${index + 1} is not an object`);
  });
  return rules as Record<string, unknown>[];
}

async function importRules(ctx: CommandContext, file: string): Promise<number> {
  const rules = parseRulesFile(await readInputFile(file), file);
  const created: Record<string, unknown>[] = [];
  try {
    for (const rule of rules) created.push(await ctx.client().json('POST', '/v1/rules', { body: rule }));
  } finally {
    // Show what was created even when a later rule failed (the error follows on stderr).
    if (ctx.format === 'json') printJson(ctx.io, created);
    else
      ctx.io.stdout.write(
        renderTable(
          ['UUID', 'Description'],
          created.map((r) => [r.uuid, r.description]),
        ),
      );
  }
  return EXIT.ok;
}

async function listRules(ctx: CommandContext): Promise<number> {
  const answer = await ctx.client().json<{ rules: Record<string, unknown>[] }>('GET', '/v1/rules');
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else
    ctx.io.stdout.write(
      renderTable(
        ['UUID', 'Description', 'Scope'],
        (answer.rules ?? []).map((r) => [r.uuid, r.description, r.scope]),
      ),
    );
  return EXIT.ok;
}

async function showRule(ctx: CommandContext, uuid: string): Promise<number> {
  const answer = await ctx.client().json<Record<string, unknown>>('GET', `/v1/rules/${seg(uuid)}`);
  if (ctx.format === 'json') printJson(ctx.io, answer);
  else ctx.io.stdout.write(renderObject(answer));
  return EXIT.ok;
}

export function registerRuleCommands(y: Argv, select: Select): Argv {
  return y.command('rule', 'Introspection rules', (b) =>
    b
      .command(
        'import <file>',
        'Create the rule(s) of a JSON or YAML file (one rule or a list)',
        (c) => c.positional('file', { type: 'string', demandOption: true }),
        (a) => select((ctx) => importRules(ctx, String(a.file))),
      )
      .command(
        'list',
        'List rules',
        () => undefined,
        () => select(listRules),
      )
      .command(
        'show <uuid>',
        'Show a rule',
        (c) => c.positional('uuid', { type: 'string', demandOption: true }),
        (a) => select((ctx) => showRule(ctx, String(a.uuid))),
      )
      .command(
        'delete <uuid>',
        'Delete a rule',
        (c) => c.positional('uuid', { type: 'string', demandOption: true }),
        (a) =>
          select(async (ctx) => {
            await ctx.client().request('DELETE', `/v1/rules/${seg(String(a.uuid))}`);
            return EXIT.ok;
          }),
      )
      .command(
        'purge',
        'Delete all rules',
        () => undefined,
        () =>
          select(async (ctx) => {
            await ctx.client().request('DELETE', '/v1/rules');
            return EXIT.ok;
          }),
      )
      .command(
        'test <file>',
        'Dry-run the rule(s) of a JSON or YAML file on stored data: matches and diff per node, nothing changes',
        (c) =>
          c
            .positional('file', { type: 'string', demandOption: true })
            .option('node', { type: 'string', array: true, describe: 'only this node (repeatable)' }),
        (a) => select((ctx) => testRules(ctx, String(a.file), nodeOption(a.node))),
      )
      .command(
        'apply',
        'Re-run the stored rules (not the hooks) on stored data and store the changes',
        (c) => c.option('node', { type: 'string', array: true, describe: 'only this node (repeatable)' }),
        (a) => select((ctx) => applyRules(ctx, nodeOption(a.node))),
      )
      .demandCommand(1, 'give a rule subcommand: import, list, show, delete, purge, test or apply'),
  );
}
