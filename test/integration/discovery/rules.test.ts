// Acceptance: three enrolled nodes introspected with rules imported through the CLI (JSON and
// YAML) set capabilities and traits by CPU count and disk size; a dry-run of a new rule shows the
// diff and leaves every persisted byte alone; apply changes exactly that; drift is reported.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { capabilities, cli, inventoryOf, settledSnapshot, type Machine } from './harness.js';

let daemon: DaemonHandle;
let dir = '';
const machines: Array<Machine & { name: string }> = [
  { name: 'small', mac: '52:54:00:0d:00:01', cpus: 2, diskGib: 50 },
  { name: 'medium', mac: '52:54:00:0d:00:02', cpus: 8, diskGib: 500 },
  { name: 'large', mac: '52:54:00:0d:00:03', cpus: 32, diskGib: 2000 },
];
const uuids: Record<string, string> = {};

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspectord-rules-'));
  // IPMI off: nothing may leave loopback; boot is not managed.
  daemon = await startDaemon({ ipmi: { enabled: false }, processing: { store_data: 'database' } });
});
test.after.always(async () => {
  await daemon?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function node(name: string): Promise<Record<string, unknown>> {
  return (await api(daemon.url, 'GET', `/v1/nodes/${name}`)).json as Record<string, unknown>;
}

async function introspect(m: Machine & { name: string }): Promise<void> {
  const started = await api(daemon.url, 'POST', `/v1/introspection/${m.name}?manage_boot=false`);
  if (started.status >= 400) throw new Error(`start ${m.name}: ${started.text}`);
  const posted = await api(daemon.url, 'POST', '/v1/continue', inventoryOf(m));
  if (posted.status !== 200) throw new Error(`continue ${m.name}: ${posted.text}`);
}

test.serial(
  'rules imported as JSON and YAML set capabilities and traits by CPU count and disk size',
  async (t) => {
    for (const m of machines) {
      const created = await api(daemon.url, 'POST', '/v1/nodes', {
        name: m.name,
        ports: [{ address: m.mac }],
      });
      t.is(created.status, 201, created.text);
      uuids[m.name] = (created.json as { uuid: string }).uuid;
    }
    await writeFile(
      join(dir, 'cpu.json'),
      JSON.stringify({
        description: 'large CPU',
        conditions: [{ op: 'ge', field: 'inventory.cpu.count', value: 8 }],
        actions: [
          { action: 'set-capability', name: 'cpu_class', value: 'large' },
          { action: 'add-trait', name: 'CUSTOM_CPU_LARGE' },
        ],
      }),
    );
    await writeFile(
      join(dir, 'more.yaml'),
      [
        '- description: small CPU',
        '  conditions:',
        '    - {op: lt, field: inventory.cpu.count, value: 8}',
        '  actions:',
        '    - {action: set-capability, name: cpu_class, value: small}',
        '- description: big disk',
        '  conditions:',
        '    - {op: ge, field: "data://local_gb", value: 400}',
        '  actions:',
        '    - {action: add-trait, name: CUSTOM_DISK_LARGE}',
        '    - {action: set-capability, name: disk_class, value: "{data[local_gb]}GiB"}',
        '',
      ].join('\n'),
    );
    for (const file of ['cpu.json', 'more.yaml']) {
      const r = await cli(daemon.url, ['rule', 'import', join(dir, file)]);
      t.is(r.code, 0, r.stderr);
    }
    t.is(((await api(daemon.url, 'GET', '/v1/rules')).json as { rules: unknown[] }).rules.length, 3);

    for (const m of machines) await introspect(m);

    const small = await node('small');
    t.like(capabilities(small), { cpu_class: 'small' });
    t.false('disk_class' in capabilities(small));
    t.deepEqual(small.traits, []);
    t.like(small.properties, { cpus: '2', local_gb: '49', memory_mb: '8192', cpu_arch: 'x86_64' });

    const medium = await node('medium');
    t.like(capabilities(medium), { cpu_class: 'large', disk_class: '499GiB' });
    t.deepEqual(medium.traits, ['CUSTOM_CPU_LARGE', 'CUSTOM_DISK_LARGE']);

    const large = await node('large');
    t.like(capabilities(large), { cpu_class: 'large', disk_class: '1999GiB', cpu_vt: 'true' });
    t.deepEqual(large.traits, ['CUSTOM_CPU_LARGE', 'CUSTOM_DISK_LARGE']);
  },
);

const hugeRule = {
  description: 'huge',
  conditions: [
    { op: 'ge', field: 'inventory.cpu.count', value: 32 },
    { op: 'ge', field: 'local_gb', value: 1000 },
  ],
  actions: [
    { action: 'add-trait', name: 'CUSTOM_HUGE' },
    { action: 'set-attribute', path: '/properties/tier', value: 'gold' },
  ],
};
let planned: Record<string, unknown[]> = {};

test.serial('a dry-run of a new rule shows the diff per node and changes no persisted byte', async (t) => {
  await writeFile(join(dir, 'huge.yaml'), JSON.stringify(hugeRule));
  const before = await settledSnapshot(daemon.stateDir);
  const r = await cli(daemon.url, ['rule', 'test', join(dir, 'huge.yaml'), '--format', 'json']);
  t.is(r.code, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as {
    nodes: Array<{
      name: string;
      changes: unknown[];
      rules: Array<{ matched: boolean; conditions: unknown[] }>;
    }>;
  };
  planned = Object.fromEntries(answer.nodes.map((n) => [n.name, n.changes]));
  t.deepEqual(planned, {
    small: [],
    medium: [],
    large: [
      { path: '/properties/tier', op: 'add', after: 'gold' },
      { path: '/traits', op: 'add', after: 'CUSTOM_HUGE' },
    ],
  });
  const medium = answer.nodes.find((n) => n.name === 'medium')!;
  t.like(medium.rules[0]!.conditions[0], { op: 'ge', matched: false, values: [8] });
  // The table form names the change too.
  const table = await cli(daemon.url, ['rule', 'test', join(dir, 'huge.yaml'), '--node', 'large']);
  t.regex(table.stdout, /add \/traits "CUSTOM_HUGE"/);
  t.notRegex(table.stdout, /medium/);
  // The stored rule set dry-run (empty body) too.
  t.is((await api(daemon.url, 'POST', '/v1/rules/dry-run')).status, 200);
  t.deepEqual(await settledSnapshot(daemon.stateDir), before);
});

test.serial('apply after importing the rule changes exactly what the dry-run showed', async (t) => {
  const before = Object.fromEntries(
    await Promise.all(machines.map(async (m) => [m.name, await node(m.name)])),
  );
  t.is((await api(daemon.url, 'POST', '/v1/rules', hugeRule)).status, 201);
  const r = await cli(daemon.url, ['rule', 'apply', '--format', 'json']);
  t.is(r.code, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as {
    nodes: Array<{ name: string; changes: unknown[]; applied: boolean }>;
  };
  t.deepEqual(Object.fromEntries(answer.nodes.map((n) => [n.name, n.changes])), planned);
  t.true(answer.nodes.every((n) => n.applied));
  for (const m of machines) {
    const after = await node(m.name);
    const expected = structuredClone(before[m.name]) as Record<string, unknown>;
    if (m.name === 'large') {
      (expected.properties as Record<string, unknown>).tier = 'gold';
      expected.traits = [...(expected.traits as string[]), 'CUSTOM_HUGE'];
    }
    t.deepEqual({ ...after, updated_at: null }, { ...expected, updated_at: null }, m.name);
  }
  const events = (await api(daemon.url, 'GET', `/v1/events?node=${uuids.large}&type=rule.applied`)).json as {
    events: Array<{ data: { replay?: boolean } }>;
  };
  t.true(events.events.some((e) => e.data.replay === true));
});

test.serial('introspecting a node again records its hardware drift', async (t) => {
  const m = machines[0]!;
  await introspect({ ...m, memoryMb: 16384, diskGib: 60 });
  const events = (await api(daemon.url, 'GET', `/v1/events?node=${uuids.small}&type=node.drift`)).json as {
    events: Array<{ message: string; data: { changes: Array<{ area: string }> } }>;
  };
  t.is(events.events.length, 1);
  t.deepEqual(
    events.events[0]!.data.changes.map((c) => c.area),
    ['memory', 'disk'],
  );
  const r = await cli(daemon.url, ['node', 'drift', 'small']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /memory \(MiB\) 8192 → 16384/);
  t.regex(r.stdout, /size 50 GiB → 60 GiB/);
});
