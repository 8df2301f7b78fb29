// kill -9 of the daemon while 50 introspections are waiting and 10 callbacks are in flight:
// after a restart every record is present and consistent, and the interrupted callbacks can be
// posted again (as IPA does on a connection error).
import test from 'ava';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';

const N = 50;
const IN_FLIGHT = 10;
let daemon: DaemonHandle;

function macOf(i: number): string {
  return `52:54:00:99:${Math.floor(i / 256)
    .toString(16)
    .padStart(2, '0')}:${(i % 256).toString(16).padStart(2, '0')}`;
}

test.before(async () => {
  daemon = await startDaemon();
});
test.after.always(async () => {
  await daemon?.cleanup();
});

for (const round of [1, 2, 3]) {
  test.serial(`round ${round}: kill -9 during callbacks loses and corrupts nothing`, async (t) => {
    const uuids: string[] = [];
    for (let i = 0; i < N; i += 1) {
      const created = await api(daemon.url, 'POST', '/v1/nodes', {
        name: `k${round}-${i}`,
        ports: [{ address: macOf(round * 100 + i) }],
      });
      t.is(created.status, 201);
      uuids.push((created.json as { uuid: string }).uuid);
    }
    for (const uuid of uuids) {
      t.is((await api(daemon.url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`)).status, 202);
    }
    const answered = new Set<string>();
    const posts = uuids.slice(0, IN_FLIGHT).map((uuid, i) =>
      api(daemon.url, 'POST', '/v1/continue', ipaInventory(macOf(round * 100 + i)))
        .then((r) => {
          if (r.status === 200) answered.add(uuid);
        })
        .catch(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 60)));
    await daemon.stop('SIGKILL');
    await Promise.all(posts);
    await daemon.restart();

    const list = await api(daemon.url, 'GET', '/v1/introspection?limit=1000');
    const records = new Map(
      (list.json as { introspection: Array<Record<string, unknown>> }).introspection.map((r) => [
        r.uuid as string,
        r,
      ]),
    );
    for (const [index, uuid] of uuids.entries()) {
      const record = records.get(uuid);
      t.truthy(record, `record of node ${index} is present`);
      if (!record) continue;
      t.true(
        ['waiting', 'finished'].includes(record.state as string),
        `node ${index} is ${String(record.state)}`,
      );
      t.is(record.finished, record.state === 'finished');
      t.is(record.error, null);
      if (index >= IN_FLIGHT) t.is(record.state, 'waiting');
      if (answered.has(uuid)) t.is(record.state, 'finished', `node ${index} got 200 before the kill`);
      if (record.state === 'finished') {
        t.is((await api(daemon.url, 'GET', `/v1/introspection/${uuid}/data`)).status, 200);
      }
    }
    // The ramdisks of interrupted callbacks retry: each completes now.
    for (const [i, uuid] of uuids.slice(0, IN_FLIGHT).entries()) {
      if (records.get(uuid)?.state === 'finished') continue;
      const retry = await api(daemon.url, 'POST', '/v1/continue', ipaInventory(macOf(round * 100 + i)));
      t.is(retry.status, 200, retry.text);
    }
    for (const uuid of uuids.slice(IN_FLIGHT))
      await api(daemon.url, 'POST', `/v1/introspection/${uuid}/abort`);
    const states = (
      (await api(daemon.url, 'GET', '/v1/introspection?limit=1000')).json as {
        introspection: Array<{ uuid: string; state: string }>;
      }
    ).introspection.filter((r) => uuids.includes(r.uuid));
    t.is(states.length, N);
    t.is(states.filter((r) => r.state === 'finished').length, IN_FLIGHT);
  });
}
