// `explain --mac M [--arch …] [--user-class iPXE] [--giaddr A]`: what the appliance would do for
// that client right now (GET /v1/explain, a dry run), and `bundle`: a support tar.gz of a node.
import { writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { seg, type CommandContext, type Select } from '../context.js';
import { EXIT, usageError } from '../failure.js';
import { printJson } from '../output.js';

export interface ExplainArgs {
  mac: string;
  arch?: string;
  userClass?: string;
  vendorClass?: string;
  giaddr?: string;
}

interface Report {
  mac: string;
  client: { arch: number | null; arch_name: string; user_class: string[]; giaddr: string | null };
  filter: { allowed: boolean; reason: string };
  node: { uuid: string; name: string | null; introspection: { state?: string } | null } | null;
  dhcp: {
    enabled: boolean;
    mode: string;
    outcome: string;
    message: string;
    would_reply: boolean;
    reply: {
      type?: string;
      yiaddr?: string;
      siaddr?: string;
      file?: string;
      options?: Record<string, { hex: string; text?: string; sub?: Record<string, string> }>;
    } | null;
  };
  boot_file: { file: string; next_server: string | null; via: string } | null;
  boot_config: { kind: string; path: string; url: string | null; text: string; token: string | null } | null;
  urls: Record<string, string>;
  notes: string[];
}

/** The operator's reading of an explain report: verdict first, then DHCP, boot file, config. */
export function formatExplain(r: Report): string {
  const lines: string[] = [];
  const client = [
    r.client.arch !== null ? `arch ${r.client.arch} (${r.client.arch_name})` : 'no arch (not PXE)',
    ...(r.client.user_class.length ? [`user class ${r.client.user_class.join(',')}`] : []),
    ...(r.client.giaddr ? [`via relay ${r.client.giaddr}`] : []),
  ].join(', ');
  lines.push(`client:      ${r.mac}, ${client}`);
  lines.push(
    `node:        ${r.node ? `${r.node.uuid}${r.node.name ? ` (${r.node.name})` : ''}, introspection ${r.node.introspection?.state ?? 'never run'}` : 'none (unknown MAC)'}`,
  );
  lines.push(`filter:      ${r.filter.allowed ? 'ALLOWED' : 'DENIED'}: ${r.filter.reason}`);
  lines.push(
    `dhcp:        ${r.dhcp.enabled ? `enabled, ${r.dhcp.mode} mode` : 'disabled'}; ${r.dhcp.would_reply ? 'would reply' : 'would NOT reply'}: ${r.dhcp.message}`,
  );
  const reply = r.dhcp.reply;
  if (reply?.type) {
    lines.push(
      `reply:       ${reply.type} yiaddr ${reply.yiaddr} siaddr ${reply.siaddr} file "${reply.file}"`,
    );
    for (const [code, o] of Object.entries(reply.options ?? {})) {
      const sub = o.sub
        ? ` sub ${Object.entries(o.sub)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : '';
      lines.push(`  option ${code.padStart(3)}: ${o.text !== undefined ? o.text : o.hex}${sub}`);
    }
  }
  lines.push(
    `boot file:   ${r.boot_file ? `${r.boot_file.file} over ${r.boot_file.via}${r.boot_file.next_server ? ` from ${r.boot_file.next_server}` : ''}` : 'none'}`,
  );
  for (const [name, url] of Object.entries(r.urls)) lines.push(`url ${name}: ${url}`);
  for (const note of r.notes) lines.push(`note:        ${note}`);
  if (r.boot_config) {
    lines.push(
      `boot config: ${r.boot_config.kind} ${r.boot_config.url ?? r.boot_config.path}${r.boot_config.token ? ` (token shown as ${r.boot_config.token}; none minted)` : ''}`,
    );
    lines.push(
      ...r.boot_config.text
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `  | ${l}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function explain(ctx: CommandContext, args: ExplainArgs): Promise<number> {
  const report = await ctx.client().json<Report>('GET', '/v1/explain', {
    query: {
      mac: args.mac,
      arch: args.arch,
      user_class: args.userClass,
      vendor_class: args.vendorClass,
      giaddr: args.giaddr,
    },
  });
  if (ctx.format === 'json') printJson(ctx.io, report);
  else ctx.io.stdout.write(formatExplain(report));
  return EXIT.ok;
}

export async function bundle(
  ctx: CommandContext,
  args: { mac?: string; node?: string; out?: string },
): Promise<number> {
  const response = args.node
    ? await ctx.client().request('GET', `/v1/nodes/${seg(args.node)}/bundle`)
    : await ctx.client().request('GET', '/v1/bundle', { query: { mac: args.mac } });
  const id = (args.node ?? args.mac ?? 'node').replace(/[^0-9A-Za-z._-]/g, '-');
  const out = args.out ?? `inspectord-bundle-${id}.tar.gz`;
  if (out === '-') process.stdout.write(response.bytes);
  else {
    await writeFile(out, response.bytes, { mode: 0o600 });
    ctx.io.stderr.write(`wrote ${out} (${response.bytes.length} bytes)\n`);
  }
  return EXIT.ok;
}

export function registerExplainCommands(y: Argv, select: Select): Argv {
  return y
    .command(
      'explain',
      'Dry run: what the appliance would do right now for a booting client (GET /v1/explain)',
      (b) =>
        b
          .option('mac', { type: 'string', demandOption: true, describe: 'the client MAC' })
          .option('arch', {
            type: 'string',
            describe: 'option 93: bios, efi64, efi-arm64, http or a number (omit: not a PXE client)',
          })
          .option('user-class', { type: 'string', describe: 'option 77, e.g. iPXE (comma-separated)' })
          .option('vendor-class', { type: 'string', describe: 'option 60 (default PXEClient:Arch:…)' })
          .option('giaddr', { type: 'string', describe: 'relay agent address, for a relayed client' }),
      (a) =>
        select((ctx) =>
          explain(ctx, {
            mac: String(a.mac),
            ...(a.arch !== undefined ? { arch: String(a.arch) } : {}),
            ...(a['user-class'] !== undefined ? { userClass: String(a['user-class']) } : {}),
            ...(a['vendor-class'] !== undefined ? { vendorClass: String(a['vendor-class']) } : {}),
            ...(a.giaddr !== undefined ? { giaddr: String(a.giaddr) } : {}),
          }),
        ),
    )
    .command(
      'bundle',
      'Download a support bundle (tar.gz) of a node: record, timeline, boot configs, filter, data, logs',
      (b) =>
        b
          .option('mac', { type: 'string', describe: 'a MAC of the node (or of an unknown client)' })
          .option('node', { type: 'string', describe: 'node UUID or name' })
          .option('out', {
            type: 'string',
            describe: 'output file ("-" for stdout)',
            defaultDescription: 'inspectord-bundle-<id>.tar.gz',
          }),
      (a) => {
        if ((a.mac === undefined) === (a.node === undefined))
          throw usageError('give exactly one of --mac or --node');
        select((ctx) =>
          bundle(ctx, {
            ...(a.mac !== undefined ? { mac: String(a.mac) } : {}),
            ...(a.node !== undefined ? { node: String(a.node) } : {}),
            ...(a.out !== undefined ? { out: String(a.out) } : {}),
          }),
        );
      },
    );
}
