import test from 'ava';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { EventRecord } from '../../../src/core/events.js';
import { FileEventLog } from '../../../src/store/event-log.js';
import { silentLog, tempStateDir } from './support.js';
import { FakeClock } from '../../helpers/core-env.js';

const MAC_A = 'aa:bb:cc:00:00:01';
const MAC_B = 'aa:bb:cc:00:00:02';

async function openLog(stateDir: string, options: Partial<Parameters<typeof FileEventLog.open>[1]> = {}) {
  return FileEventLog.open(
    { log: silentLog, clock: new FakeClock(Date.parse('2025-01-01T00:00:00Z')) },
    { stateDir, ...options },
  );
}

async function files(stateDir: string): Promise<string[]> {
  return (await fsp.readdir(join(stateDir, 'events'))).sort(
    (a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]),
  );
}

test('emit fills seq, ts and the default level', async (t) => {
  const log = await openLog(await tempStateDir(t));
  log.emit({ type: 'dhcp.offer', mac: 'AA:BB:CC:00:00:01', message: 'offered 198.18.0.10' });
  log.emit({ type: 'dhcp.ignored', level: 'warn', message: 'unknown client' });
  const events = log.query();
  t.deepEqual(events[0], {
    seq: 1,
    ts: '2025-01-01T00:00:00.000Z',
    type: 'dhcp.offer',
    level: 'info',
    mac: MAC_A,
    message: 'offered 198.18.0.10',
  });
  t.is(events[1]?.seq, 2);
  t.is(events[1]?.level, 'warn');
  await log.close();
});

test('emit does not throw on data that cannot be serialised', async (t) => {
  const log = await openLog(await tempStateDir(t));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.notThrows(() => log.emit({ type: 'hook.result', message: 'x', data: cyclic }));
  t.is(log.query()[0]?.message, 'x');
  await log.close();
});

test('the ring keeps only the newest ringSize events', async (t) => {
  const log = await openLog(await tempStateDir(t), { ringSize: 100 });
  for (let i = 0; i < 250; i += 1) log.emit({ type: 'tftp.transfer', message: `e${i}` });
  const events = log.query();
  t.is(log.size, 100);
  t.is(events.length, 100);
  t.is(events[0]?.seq, 151);
  t.is(events[99]?.seq, 250);
  await log.close();
});

function fill(log: FileEventLog): void {
  for (let i = 1; i <= 30; i += 1) {
    log.emit({
      type: i % 3 === 0 ? 'tftp.transfer' : 'dhcp.offer',
      mac: i % 2 === 0 ? MAC_A : MAC_B,
      ...(i % 5 === 0 ? { node: 'node-1' } : {}),
      message: `e${i}`,
    });
  }
}

const queries: Array<[string, Parameters<FileEventLog['query']>[0], number[]]> = [
  ['by mac (any case)', { mac: MAC_A.toUpperCase(), limit: 3 }, [26, 28, 30]],
  ['by node', { node: 'node-1' }, [5, 10, 15, 20, 25, 30]],
  ['by mac and node', { mac: MAC_A, node: 'node-1' }, [10, 20, 30]],
  ['after, paging forward', { after: 20, limit: 3 }, [21, 22, 23]],
  ['after with a filter', { after: 20, mac: MAC_B }, [21, 23, 25, 27, 29]],
  ['limit without after: the newest', { limit: 2 }, [29, 30]],
  ['exact types', { types: ['tftp.transfer'], after: 20 }, [21, 24, 27, 30]],
  ['area wildcard', { types: ['tftp.*'], limit: 2 }, [27, 30]],
  ['bare area', { types: ['tftp'], limit: 1 }, [30]],
  ['limit 0', { limit: 0 }, []],
  ['after the last', { after: 30 }, []],
];
for (const [what, q, seqs] of queries) {
  test(`query ${what}`, async (t) => {
    const log = await openLog(await tempStateDir(t));
    fill(log);
    t.deepEqual(
      log.query(q).map((e) => e.seq),
      seqs,
    );
    await log.close();
  });
}

test('events are appended as JSON lines in batches, not one write per event', async (t) => {
  const stateDir = await tempStateDir(t);
  const log = await openLog(stateDir, { flushIntervalMs: 50 });
  for (let i = 0; i < 100; i += 1) log.emit({ type: 'dhcp.offer', message: `e${i}` });
  t.deepEqual(await files(stateDir), [], 'nothing written synchronously');
  await new Promise((r) => setTimeout(r, 300));
  const text = await fsp.readFile(join(stateDir, 'events', 'events-1.jsonl'), 'utf8');
  const lines = text.trimEnd().split('\n');
  t.is(lines.length, 100);
  t.is(JSON.parse(lines[99] as string).message, 'e99');
  t.is((await fsp.stat(join(stateDir, 'events', 'events-1.jsonl'))).mode & 0o777, 0o600);
  await log.close();
});

test('files rotate by size and only the last maxFiles are kept', async (t) => {
  const stateDir = await tempStateDir(t);
  const log = await openLog(stateDir, { maxFileBytes: 2000, maxFiles: 3 });
  for (let i = 0; i < 200; i += 1) {
    log.emit({ type: 'dhcp.offer', message: `event number ${i}` });
    if (i % 10 === 9) await log.flush();
  }
  await log.close();
  const names = await files(stateDir);
  t.is(names.length, 3);
  t.true(Number(/\d+/.exec(names[0] as string)?.[0]) > 1, `old files were removed: ${names.join(',')}`);
  for (const name of names) {
    const size = (await fsp.stat(join(stateDir, 'events', name))).size;
    t.true(size <= 2000, `${name} is ${size} bytes`);
  }
});

test('reopening reloads the newest events and continues the sequence', async (t) => {
  const stateDir = await tempStateDir(t);
  const log = await openLog(stateDir, { maxFileBytes: 1500, maxFiles: 4 });
  for (let i = 0; i < 40; i += 1) {
    log.emit({ type: 'dhcp.offer', mac: MAC_A, message: `e${i}` });
    if (i % 5 === 4) await log.flush();
  }
  await log.close();
  const again = await openLog(stateDir, { maxFileBytes: 1500, maxFiles: 4, ringSize: 10 });
  t.is(again.lastSeq, 40);
  t.deepEqual(
    again.query({ mac: MAC_A, limit: 3 }).map((e) => e.message),
    ['e37', 'e38', 'e39'],
  );
  t.is(again.size, 10);
  again.emit({ type: 'dhcp.offer', message: 'after restart' });
  t.is(again.query({ limit: 1 })[0]?.seq, 41);
  await again.close();
});

test('a line torn by a crash is skipped and new events go to a fresh file', async (t) => {
  const stateDir = await tempStateDir(t);
  await fsp.mkdir(join(stateDir, 'events'));
  const good = JSON.stringify({ seq: 7, ts: 'x', type: 'dhcp.offer', level: 'info', message: 'ok' });
  await fsp.writeFile(join(stateDir, 'events', 'events-3.jsonl'), `${good}\n{"seq":8,"ts":"x","ty`);
  const log = await openLog(stateDir);
  t.deepEqual(
    log.query().map((e) => e.seq),
    [7],
  );
  log.emit({ type: 'dhcp.offer', message: 'next' });
  await log.close();
  t.deepEqual(await files(stateDir), ['events-3.jsonl', 'events-4.jsonl']);
  t.is(JSON.parse(await fsp.readFile(join(stateDir, 'events', 'events-4.jsonl'), 'utf8')).seq, 8);
});

test('follow delivers new matching events until unsubscribed', async (t) => {
  const log = await openLog(await tempStateDir(t));
  const seen: EventRecord[] = [];
  const stop = log.follow({ mac: MAC_A }, (e) => seen.push(e));
  log.emit({ type: 'dhcp.offer', mac: MAC_A, message: 'one' });
  log.emit({ type: 'dhcp.offer', mac: MAC_B, message: 'other machine' });
  stop();
  log.emit({ type: 'dhcp.offer', mac: MAC_A, message: 'after stop' });
  t.deepEqual(
    seen.map((e) => e.message),
    ['one'],
  );
  await log.close();
});

test('follow with after replays held events first, with no gap', async (t) => {
  const log = await openLog(await tempStateDir(t));
  fill(log);
  const seen: number[] = [];
  log.follow({ after: 27 }, (e) => seen.push(e.seq));
  log.emit({ type: 'dhcp.offer', message: 'live' });
  t.deepEqual(seen, [28, 29, 30, 31]);
  await log.close();
});

test('a throwing listener does not break emit or other listeners', async (t) => {
  const log = await openLog(await tempStateDir(t));
  const seen: number[] = [];
  log.follow({}, () => {
    throw new Error('boom');
  });
  log.follow({}, (e) => seen.push(e.seq));
  t.notThrows(() => log.emit({ type: 'node.created', message: 'x' }));
  t.deepEqual(seen, [1]);
  await log.close();
});

test('unwritten events beyond maxPendingBytes are dropped oldest first, the ring keeps them', async (t) => {
  const stateDir = await tempStateDir(t);
  const log = await openLog(stateDir, { maxPendingBytes: 4000 });
  for (let i = 0; i < 200; i += 1) log.emit({ type: 'dhcp.offer', message: `e${i}` });
  await log.close();
  const lines = (await fsp.readFile(join(stateDir, 'events', 'events-1.jsonl'), 'utf8'))
    .trimEnd()
    .split('\n');
  t.true(lines.length < 200 && lines.length > 10, `${lines.length} lines persisted`);
  t.is(JSON.parse(lines[lines.length - 1] as string).message, 'e199');
  t.is(log.size, 200);
});
