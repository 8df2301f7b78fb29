// Support bundle: one tar.gz with everything needed to debug one node's boot without shell access
// — node record (secrets redacted), timeline, rendered boot configs (explain), PXE filter status,
// stored data and ramdisk logs. Served by GET /v1/nodes/<id>/bundle and GET /v1/bundle?mac=.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './core/errors.js';
import type { EventRecord } from './core/events.js';
import type { EventQuery } from './core/ports.js';
import { normalizeMac, redactNode } from './core/node.js';
import { filterVerdict } from './core/pxe-filter.js';
import { explainBoot, type ExplainDeps, type ExplainSources, TOKEN_PLACEHOLDER } from './explain.js';
import type { BootConfigKind } from './http-boot/boot-config.js';

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential/i;
const CENSOR = '******';

/** Deep copy with every value under a secret-looking key censored (belt and braces over redactNode). */
export function scrubSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] =
        SECRET_KEY.test(key) && v !== null && v !== undefined && typeof v !== 'object'
          ? CENSOR
          : scrubSecrets(v);
    }
    return out;
  }
  return value;
}

/** A stored JSON document scrubbed the same way; text that is not JSON is kept as it is. */
function scrubJsonText(text: string): string {
  try {
    return `${JSON.stringify(scrubSecrets(JSON.parse(text)), null, 2)}\n`;
  } catch {
    return text;
  }
}

export interface SupportBundleDeps extends ExplainDeps {
  sources: () => ExplainSources;
  events: { query(q: EventQuery): EventRecord[] };
  /** Stored introspection data (null when not stored or store_data = none). */
  getData: (uuid: string, kind: 'processed' | 'unprocessed') => Promise<string | null>;
  /** The GET /v1/pxe-filter report. */
  filterReport: () => Promise<object>;
  /** `tar` binary (GNU tar). */
  tarPath?: string;
}

export interface BundleMember {
  path: string;
  content: string | Buffer;
}

const KINDS: readonly BootConfigKind[] = ['pxelinux', 'grub', 'ipxe'];

/** The members of the bundle for a node (by UUID/name) or a MAC; pure apart from reads. */
export async function collectBundle(
  deps: SupportBundleDeps,
  target: { node?: string; mac?: string },
): Promise<{ id: string; members: BundleMember[] }> {
  const members: BundleMember[] = [];
  const missing: string[] = [];
  const json = (path: string, value: unknown): void => {
    members.push({ path, content: `${JSON.stringify(scrubSecrets(value), null, 2)}\n` });
  };
  let uuid: string | undefined;
  let macs: string[] = [];
  if (target.node !== undefined) {
    const node = deps.nodes.get(target.node);
    if (!node) throw new AppError('ERR_NODE_NOT_FOUND', `Node ${target.node} could not be found`);
    uuid = node.uuid;
    macs = deps.nodes.listPorts(uuid).map((p) => p.address);
  } else {
    const mac = normalizeMac(target.mac);
    if (!mac) throw new AppError('ERR_API_BAD_PARAM', 'mac must be a MAC address like 52:54:00:12:34:56');
    macs = [mac];
    uuid = deps.sources().nodeOf(mac);
  }
  const id = uuid ?? (macs[0] as string);

  const node = uuid ? deps.nodes.get(uuid) : undefined;
  if (node) {
    json('node.json', {
      node: redactNode(node),
      ports: deps.nodes.listPorts(node.uuid),
      introspection: deps.introspectionOf(node.uuid) ?? null,
    });
  } else missing.push('node.json: no node is enrolled with this MAC');

  // Timeline: the node's events plus those of each MAC (before it was linked), in order.
  const seen = new Map<number, EventRecord>();
  for (const q of [...(uuid ? [{ node: uuid }] : []), ...macs.map((mac) => ({ mac }))])
    for (const e of deps.events.query(q)) seen.set(e.seq, e);
  const timeline = [...seen.values()].sort((a, b) => a.seq - b.seq);
  members.push({
    path: 'timeline.jsonl',
    content: timeline.map((e) => JSON.stringify(scrubSecrets(e))).join('\n') + (timeline.length ? '\n' : ''),
  });

  // Boot: per MAC, the explain report for the common clients and each rendered config.
  const sources = deps.sources();
  const renderer = await sources.renderer().catch((error: unknown) => {
    missing.push(`boot configs: ${(error as Error).message}`);
    return null;
  });
  const membership: Array<Record<string, unknown>> = [];
  const now = sources.clock.now();
  for (const mac of macs) {
    const hyphen = mac.replace(/:/g, '-');
    const verdict = filterVerdict(sources.policy, mac, now);
    membership.push({
      mac,
      set: sources.policy.allow.some((a) => a.mac === mac)
        ? 'allow'
        : sources.policy.deny.includes(mac)
          ? 'deny'
          : `unknown (${sources.policy.unknown})`,
      allowed: verdict.allowed,
      reason: verdict.reason,
    });
    for (const [label, arch, userClass] of [
      ['bios', 0, undefined],
      ['efi64', 7, undefined],
      ['ipxe', 7, ['iPXE']],
    ] as const) {
      const report = await explainBoot(sources, deps, {
        mac,
        arch,
        ...(userClass ? { userClass: [...userClass] } : {}),
      });
      json(`explain/${hyphen}-${label}.json`, report);
    }
    if (renderer) {
      const token =
        node && sources.config.processing.callback_auth !== 'none' ? TOKEN_PLACEHOLDER : undefined;
      for (const kind of KINDS) {
        try {
          const name = kind === 'ipxe' ? `${hyphen}.ipxe` : `${hyphen}.${kind}.cfg`;
          members.push({ path: `boot/${name}`, content: renderer.render(kind, mac, { token }) });
        } catch (error) {
          missing.push(`boot/${hyphen} ${kind}: ${(error as Error).message}`);
        }
      }
    }
  }
  json('pxe-filter.json', { status: await deps.filterReport(), macs: membership });

  if (uuid) {
    for (const kind of ['processed', 'unprocessed'] as const) {
      const stored = await deps.getData(uuid, kind).catch(() => null);
      if (stored === null) missing.push(`data/${kind}.json: not stored`);
      else members.push({ path: `data/${kind}.json`, content: scrubJsonText(stored) });
    }
  }

  // Ramdisk logs: the introspection reports where it stored each archive (event callback.logs).
  const logPaths = timeline
    .filter((e) => e.type === 'callback.logs')
    .map((e) => /ramdisk logs stored in (.+)$/.exec(e.message)?.[1])
    .filter((p): p is string => p !== undefined);
  for (const path of logPaths) {
    try {
      members.push({ path: `ramdisk-logs/${basename(path)}`, content: await readFile(path) });
    } catch (error) {
      missing.push(
        `ramdisk-logs/${basename(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  if (logPaths.length === 0) missing.push('ramdisk-logs: none stored for this node');

  json('manifest.json', {
    created_at: new Date(now).toISOString(),
    node: uuid ?? null,
    macs,
    members: members.map((m) => m.path),
    missing,
  });
  return { id, members };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error) reject(new AppError('ERR_INTERNAL', `${cmd} failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

/** Pack members into a gzip'd tar (GNU tar from a temporary directory, removed afterwards). */
export async function packTarGz(
  prefix: string,
  members: readonly BundleMember[],
  tarPath = 'tar',
): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-bundle-'));
  try {
    const root = join(dir, prefix);
    for (const member of members) {
      const path = join(root, member.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, member.content, { mode: 0o600 });
    }
    const out = join(dir, 'bundle.tar.gz');
    // Deterministic-ish and owner-free: the archive goes to other people.
    await run(tarPath, ['-czf', out, '--owner=0', '--group=0', '--numeric-owner', '-C', dir, prefix]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function buildSupportBundle(
  deps: SupportBundleDeps,
  target: { node?: string; mac?: string },
): Promise<{ filename: string; data: Buffer }> {
  const { id, members } = await collectBundle(deps, target);
  const prefix = `inspectord-bundle-${id.replace(/[^0-9A-Za-z._-]/g, '-')}`;
  return { filename: `${prefix}.tar.gz`, data: await packTarGz(prefix, members, deps.tarPath) };
}

export function registerSupportBundleRoutes(app: FastifyInstance, deps: SupportBundleDeps): void {
  const send = async (reply: FastifyReply, target: { node?: string; mac?: string }): Promise<unknown> => {
    const bundle = await buildSupportBundle(deps, target);
    return reply
      .code(200)
      .type('application/gzip')
      .header('content-disposition', `attachment; filename="${bundle.filename}"`)
      .send(bundle.data);
  };
  app.get(
    '/v1/nodes/:node_id/bundle',
    async (request: FastifyRequest<{ Params: { node_id: string } }>, reply) =>
      send(reply, { node: request.params.node_id }),
  );
  app.get('/v1/bundle', async (request: FastifyRequest<{ Querystring: { mac?: string } }>, reply) => {
    const mac = typeof request.query.mac === 'string' ? request.query.mac : undefined;
    if (!mac) throw new AppError('ERR_API_BAD_PARAM', 'mac is required (or use /v1/nodes/<id>/bundle)');
    return send(reply, { mac });
  });
}
