// The CLI against the real fastify API (src/api) with in-memory store, blobs and event log: checks
// that the client speaks the routes, bodies and status codes the daemon actually has.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLog } from '../../../src/core/log.js';
import type { EventInput, EventRecord } from '../../../src/core/events.js';
import type { EventQuery } from '../../../src/core/ports.js';
import { emptyStateDocument } from '../../../src/core/introspection-record.js';
import { IntrospectionService } from '../../../src/core/introspection.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';
import type { BlobStore, StateStore } from '../../../src/core/ports.js';
import { RuleBook } from '../../../src/core/rule-book.js';
import { cli, tempDir } from './fake-api.js';

class MemoryEvents {
  private readonly log: EventRecord[] = [];
  private readonly listeners = new Set<{ q: EventQuery; fn: (e: EventRecord) => void }>();
  emit(input: EventInput): void {
    const record: EventRecord = {
      level: 'info',
      ...input,
      seq: this.log.length + 1,
      ts: new Date().toISOString(),
    };
    this.log.push(record);
    for (const l of this.listeners) if (this.matches(l.q, record)) l.fn(record);
  }
  private matches(q: EventQuery, e: EventRecord): boolean {
    return (
      (!q.mac || e.mac === q.mac) &&
      (!q.node || e.node === q.node) &&
      (q.after === undefined || e.seq > q.after)
    );
  }
  query(q: EventQuery): EventRecord[] {
    return this.log.filter((e) => this.matches(q, e)).slice(0, q.limit ?? 1000);
  }
  follow(q: EventQuery, fn: (e: EventRecord) => void): () => void {
    const entry = { q, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }
}

interface Daemon {
  url: string;
  app: FastifyInstance;
  events: MemoryEvents;
}

async function daemon(t: { teardown: (f: () => Promise<void>) => void }): Promise<Daemon> {
  const store: StateStore = {
    doc: emptyStateDocument(new Date().toISOString()),
    changed: async () => undefined,
    flush: async () => undefined,
  };
  const data = new Map<string, string>();
  const blobs: BlobStore = {
    putData: async (uuid, kind, json) => void data.set(`${uuid}/${kind}`, json),
    getData: async (uuid, kind) => data.get(`${uuid}/${kind}`) ?? null,
    getPreviousData: async () => null,
    deleteData: async (uuid) => void data.delete(uuid),
    putRamdiskLogs: async () => '',
  };
  const events = new MemoryEvents();
  const nodes = new LocalNodeRepository({ store, clock: systemClock });
  const introspection = new IntrospectionService({
    store,
    nodes,
    blobs,
    events,
    clock: systemClock,
    log: silentLog,
    settings: {
      timeout: 3600,
      canManageBoot: true,
      storeData: true,
      introspectionDelay: 0,
      powerOff: false,
      permitActiveIntrospection: false,
      ipmiAddressFields: ['ipmi_address'],
      ramdiskLogsDir: null,
      alwaysStoreRamdiskLogs: false,
      ramdiskLogsFilenameFormat: '{uuid}_{dt}',
      ipmiPasswordMaxLength: 20,
      allowNonAlnumIpmiPassword: true,
    },
    pipeline: { beforeProcessing: async () => [], beforeUpdate: async () => undefined },
  });
  const rules = new RuleBook({
    store,
    clock: systemClock,
    validate: (body) => {
      const rule = body as { description?: string; conditions?: []; actions?: []; uuid?: string };
      if (!Array.isArray(rule.actions) || rule.actions.length === 0)
        return { ok: false, errors: [{ field: 'actions', message: 'at least one action is required' }] };
      return {
        ok: true,
        rule: {
          uuid: rule.uuid ?? null,
          description: rule.description ?? null,
          scope: null,
          conditions: rule.conditions ?? [],
          actions: rule.actions,
        },
      };
    },
  });
  let discovery = false;
  const app = await buildApp(
    {
      log: silentLog,
      introspection,
      nodes,
      rules,
      events,
      auth: { check: async () => undefined },
      discovery: { get: () => discovery, set: async (v) => void (discovery = v) },
      settings: { apiMaxLimit: 1000, storeData: true },
    },
    { bodyLimit: 1024 * 1024 },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
  });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app, events };
}

test('node, introspection, rule and discovery verbs work against the real API', async (t) => {
  const { url } = await daemon(t);
  const run = (...argv: string[]) => cli([...argv, '--url', url]);

  let r = await run(
    'node',
    'add',
    '--name',
    'n1',
    '--ipmi-address',
    '198.18.1.1',
    '--ipmi-password',
    'pw',
    '--mac',
    '52:54:00:00:00:01',
    '--property',
    'memory_mb=1024',
    '--format',
    'json',
  );
  t.is(r.code, 0, r.stderr);
  const node = JSON.parse(r.stdout) as { uuid: string; driver_info: Record<string, unknown> };
  t.is(node.driver_info.ipmi_password, '******');

  r = await run('node', 'set', 'n1', '--extra', 'rack=r1', '--maintenance', 'false', '--format', 'json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as { extra: unknown }).extra, { rack: 'r1' });

  r = await run('node', 'unset', 'n1', '--extra', 'rack', '--format', 'json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as { extra: unknown }).extra, {});

  r = await run('node', 'port', 'list', 'n1', '--format', 'json');
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { ports: { address: string }[] }).ports[0]!.address, '52:54:00:00:00:01');

  r = await run('node', 'port', 'add', 'n1', '52:54:00:00:00:02');
  t.is(r.code, 0, r.stderr);

  r = await run('introspect', 'n1', '--manage-boot', 'false');
  t.is(r.code, 0, r.stderr);

  r = await run('status', 'n1', '--format', 'json');
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { uuid: node.uuid, finished: false });

  r = await run('list', '--state', 'waiting,starting', '--format', 'json');
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as { introspection: unknown[] }).introspection.length, 1);

  r = await run('node', 'delete', 'n1');
  t.is(r.code, 1, 'a node under introspection cannot be deleted');

  r = await run('abort', 'n1');
  t.is(r.code, 0, r.stderr);

  r = await run('introspect', 'n1', '--wait', '--poll-interval', '0.02', '--timeout', '10');
  // Started again with manage_boot=true but no power driver: refused with a clear message.
  t.is(r.code, 1);
  t.regex(r.stderr, /^error: n1: /);

  r = await run('data', 'save', 'n1');
  t.is(r.code, 1);

  r = await run('node', 'delete', 'n1');
  t.is(r.code, 0, r.stderr);

  r = await run('node', 'list', '--format', 'json');
  t.deepEqual(JSON.parse(r.stdout), { nodes: [] });

  const dir = await tempDir(t);
  const rules = join(dir, 'rules.yaml');
  await writeFile(
    rules,
    '- description: one\n  actions: [{action: fail, message: x}]\n- description: two\n  actions: [{action: fail, message: y}]\n',
  );
  r = await run('rule', 'import', rules, '--format', 'json');
  t.is(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout) as { uuid: string }[];
  t.is(created.length, 2);
  r = await run('rule', 'show', created[0]!.uuid);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\| description +\| one +\|/);
  r = await run('rule', 'delete', created[0]!.uuid);
  t.is(r.code, 0, r.stderr);
  r = await run('rule', 'purge');
  t.is(r.code, 0, r.stderr);
  r = await run('rule', 'list', '--format', 'json');
  t.deepEqual(JSON.parse(r.stdout), { rules: [] });

  r = await run('discovery', 'on');
  t.is(r.stdout, 'discovery: enabled\n');

  const csv = join(dir, 'nodes.csv');
  await writeFile(
    csv,
    'name,ipmi_address,ipmi_username,ipmi_password,mac,mac2\nc1,198.18.2.1,a,p,52:54:00:00:01:01,52:54:00:00:01:02\nc2,198.18.2.2,a,p,52:54:00:00:01:01,\n',
  );
  r = await run('node', 'import', csv);
  t.is(r.code, 1, 'the second row reuses a MAC');
  t.regex(r.stdout, /line 2 \(c1\): created /);
  t.regex(r.stdout, /line 3 \(c2\): failed: .*52:54:00:00:01:01/);
});

test('introspect --wait shows the node events emitted by the daemon', async (t) => {
  const { url } = await daemon(t);
  const run = (...argv: string[]) => cli([...argv, '--url', url]);
  let r = await run(
    'node',
    'add',
    '--name',
    'w1',
    '--ipmi-address',
    '198.18.3.1',
    '--mac',
    '52:54:00:00:03:01',
  );
  t.is(r.code, 0, r.stderr);
  let seenWaiting: () => void = () => undefined;
  const reportedWaiting = new Promise<void>((resolve) => (seenWaiting = resolve));
  const waiting = cli(
    [
      'introspect',
      'w1',
      '--manage-boot',
      'false',
      '--wait',
      '--poll-interval',
      '0.05',
      '--timeout',
      '10',
      '--url',
      url,
    ],
    { onStdout: (stdout) => void (/\nw1: waiting\n/.test(stdout) && seenWaiting()) },
  ).then((result) => (seenWaiting(), result));
  // Abort from the side, as an operator would, once the CLI has reported the node waiting (a
  // fixed delay raced its first poll on a loaded machine): it sees the node finish with an error.
  await reportedWaiting;
  r = await run('abort', 'w1');
  t.is(r.code, 0, r.stderr);
  const w = await waiting;
  t.is(w.code, 1, w.stderr);
  t.regex(w.stdout, /w1: finished with error: .*/);
  t.regex(w.stdout, /^\S+Z introspection\.started .*\n/);
  t.regex(w.stdout, /\nw1: waiting\n/);
  t.regex(w.stdout, /\n\S+Z introspection\.aborting .*\nw1: finished with error: Canceled by operator\n/);
});

test('events --follow prints past and new events from the real SSE stream', async (t) => {
  const { url, events } = await daemon(t);
  events.emit({ type: 'dhcp.discover', mac: '52:54:00:00:04:01', message: 'DISCOVER from an unknown MAC' });
  events.emit({ type: 'dhcp.discover', mac: '52:54:00:00:04:02', message: 'another machine' });
  const controller = new AbortController();
  const following = cli(['events', '--mac', '52:54:00:00:04:01', '--follow', '--url', url], {
    signal: controller.signal,
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  events.emit({ type: 'dhcp.offer', mac: '52:54:00:00:04:01', message: 'offered 198.18.0.20' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort();
  const r = await following;
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^\S+Z dhcp\.discover 52:54:00:00:04:01 DISCOVER from an unknown MAC$/);
  t.regex(lines[1]!, /^\S+Z dhcp\.offer 52:54:00:00:04:01 offered 198\.18\.0\.20$/);
});
