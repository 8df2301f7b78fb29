// Issue 9's acceptance in one run: the daemon as the unit runs it (`serve --config FILE`, state in
// its own directory) with network boot and the nftables filter on; SIGHUP applies a changed rules
// file (a callback then gets the new rule), SIGTERM exits 0 with no nftables table left and loses
// nothing (a restart on the same state shows the finished introspection and the rule's effect).
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../../helpers/daemon.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import { callbackBody, enrolAndStart, waitForState } from '../ops/ops-harness.js';
import { NFT, buildWorld, tableNames, type World } from './harness.js';

const RULE = '5c1b0d2e-4f3a-4b6c-8d7e-9f0a1b2c3d4e';
const rules = (version: string): string =>
  JSON.stringify([
    {
      uuid: RULE,
      description: `tag nodes with rules ${version}`,
      conditions: [{ op: 'ge', field: 'memory_mb', value: 1 }],
      actions: [{ action: 'set-attribute', path: '/extra/rules_version', value: version }],
    },
  ]);

let world: World | undefined;
let dir = '';
const cleanups: Array<() => Promise<void> | void> = [];

test.before(async () => {
  await requireTools(NFT, 'ip');
  dir = await mkdtemp(join(tmpdir(), 'inspectord-unit-rules-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'rules.json'), rules('v1'));
  world = await buildWorld(cleanups, { rules: { rules_file: join(dir, 'rules.json') } });
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function introspect(w: World, name: string, mac: string): Promise<{ uuid: string; version: unknown }> {
  const uuid = await enrolAndStart(w.daemon.url, name, mac);
  const r = await api(w.daemon.url, 'POST', '/v1/continue', JSON.parse(callbackBody(mac)) as unknown);
  if (r.status !== 200) throw new Error(`callback: ${r.status} ${r.text}`);
  await waitForState(w.daemon.url, uuid, 'finished');
  const node = (await api(w.daemon.url, 'GET', `/v1/nodes/${uuid}`)).json as {
    extra?: Record<string, unknown>;
  };
  return { uuid, version: node.extra?.['rules_version'] };
}

test.serial(
  'SIGHUP applies a changed rule set; SIGTERM leaves no nft table and loses no state',
  async (t) => {
    const w = world!;
    t.deepEqual(await tableNames(w.server), ['inspectord'], 'the filter table while running');
    const before = await introspect(w, 'unit-a', '52:54:00:0d:00:01');
    t.is(before.version, 'v1');

    await writeFile(join(dir, 'rules.json'), rules('v2'));
    w.daemon.child.kill('SIGHUP');
    await waitFor(
      async () => {
        const events = (await api(w.daemon.url, 'GET', '/v1/events?type=daemon.reload')).json as {
          events: Array<{ message: string }>;
        };
        return events.events.some((e) => /rules file: 0 created, 1 replaced, 0 deleted/.test(e.message));
      },
      'the reload event reporting the replaced rule',
      10_000,
    );
    const after = await introspect(w, 'unit-b', '52:54:00:0d:00:02');
    t.is(after.version, 'v2', 'the callback after SIGHUP got the new rule');

    t.is(await w.daemon.stop('SIGTERM'), 0, w.daemon.output());
    t.deepEqual(await tableNames(w.server), [], 'no nftables table after SIGTERM');

    await w.daemon.restart();
    for (const [uuid, version] of [
      [before.uuid, 'v1'],
      [after.uuid, 'v2'],
    ] as const) {
      const status = (await api(w.daemon.url, 'GET', `/v1/introspection/${uuid}`)).json as {
        state: string;
        error: string | null;
      };
      t.like(status, { state: 'finished', error: null });
      const node = (await api(w.daemon.url, 'GET', `/v1/nodes/${uuid}`)).json as {
        extra?: Record<string, unknown>;
      };
      t.is(node.extra?.['rules_version'], version);
    }
    t.deepEqual(await tableNames(w.server), ['inspectord'], 'the restarted daemon has its one table');
  },
);
