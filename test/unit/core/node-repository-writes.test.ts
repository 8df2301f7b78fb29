// LocalNodeRepository and the state store: durable changes wait for the write, non-durable ones
// (hooks, rules during /v1/continue) do not wait for the debounced write.
import test from 'ava';
import { systemClock } from '../../../src/core/clock.js';
import { emptyStateDocument } from '../../../src/core/introspection-record.js';
import { LocalNodeRepository, type NewPort } from '../../../src/core/node-repository.js';
import type { StateStore } from '../../../src/core/ports.js';

/** A store whose writes complete only when release() is called (a debounce that never fires). */
function heldStore(): StateStore & { calls: Array<{ durable: boolean }>; release(): void } {
  const waiting: Array<() => void> = [];
  const calls: Array<{ durable: boolean }> = [];
  return {
    doc: emptyStateDocument(new Date(0).toISOString()),
    calls,
    changed(options = {}) {
      calls.push({ durable: options.durable ?? false });
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    flush: () => Promise.resolve(),
    release() {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);
}

/** A repository over a held store, with one node `n1` created (its durable write released). */
async function repoWithNode(ports: NewPort[] = []) {
  const store = heldStore();
  const repo = new LocalNodeRepository({ store, clock: systemClock });
  const create = repo.create({ name: 'n1' }, { ports });
  store.release();
  return { store, repo, node: await create };
}

test('a non-durable node update resolves before the debounced write', async (t) => {
  const { store, repo, node } = await repoWithNode();
  const update = repo.update(node.uuid, (n) => (n.properties = { cpus: 4 }));
  t.true(await settledWithin(update, 200));
  t.deepEqual(repo.require(node.uuid).properties, { cpus: 4 });
  t.deepEqual(store.calls.at(-1), { durable: false });
});

test('a durable node update waits for the write', async (t) => {
  const { store, repo, node } = await repoWithNode();
  const update = repo.update(node.uuid, (n) => (n.extra = { a: 1 }), { durable: true });
  t.false(await settledWithin(update, 50));
  store.release();
  t.true(await settledWithin(update, 200));
});

test('deleting a port (keep_ports during a callback) resolves before the debounced write', async (t) => {
  const { store, repo, node } = await repoWithNode([{ address: '52:54:00:00:00:01' }]);
  const [port] = repo.listPorts(node.uuid);
  t.true(await settledWithin(repo.deletePort(port!.uuid), 200));
  t.deepEqual(repo.listPorts(node.uuid), []);
  t.deepEqual(store.calls.at(-1), { durable: false });
});
