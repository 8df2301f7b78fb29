// LocalNodeRepository lookups by uuid and by MAC use position hints: whatever changes the lists,
// the answer must stay what a scan of the list gives.
import test from 'ava';
import { systemClock } from '../../../src/core/clock.js';
import { emptyStateDocument } from '../../../src/core/introspection-record.js';
import { LocalNodeRepository } from '../../../src/core/node-repository.js';

function repo() {
  const store = {
    doc: emptyStateDocument('x'),
    changed: async () => undefined,
    flush: async () => undefined,
  };
  return { store, nodes: new LocalNodeRepository({ store, clock: systemClock }) };
}

const mac = (i: number) => `52:54:00:00:00:${i.toString(16).padStart(2, '0')}`;

test('lookups by uuid and MAC follow deletions that shift the lists', async (t) => {
  const { nodes } = repo();
  const created = [];
  for (let i = 0; i < 6; i++)
    created.push(await nodes.create({ name: `n${i}` }, { ports: [{ address: mac(i) }] }));
  for (const n of created) t.is(nodes.get(n.uuid), n);
  await nodes.delete(created[1]!.uuid);
  await nodes.deletePort(nodes.portByAddress(mac(3))!.uuid);
  t.is(nodes.get(created[1]!.uuid), undefined);
  t.is(nodes.portByAddress(mac(1)), undefined);
  t.is(nodes.portByAddress(mac(3)), undefined);
  for (const i of [0, 2, 3, 4, 5]) t.is(nodes.get(created[i]!.uuid)?.name, `n${i}`);
  for (const i of [0, 2, 4, 5]) t.is(nodes.portByAddress(mac(i))?.node_uuid, created[i]!.uuid);
});

test('lookups see records replaced or reordered behind the repository', async (t) => {
  const { store, nodes } = repo();
  const a = await nodes.create({ name: 'a' }, { ports: [{ address: mac(1) }] });
  const b = await nodes.create({ name: 'b' }, { ports: [{ address: mac(2) }] });
  t.is(nodes.get(a.uuid), a);
  t.is(nodes.portByAddress(mac(2))?.node_uuid, b.uuid);
  store.doc.nodes.reverse();
  store.doc.ports = [...store.doc.ports].reverse();
  t.is(nodes.get(a.uuid), a);
  t.is(nodes.get(b.uuid), b);
  t.is(nodes.portByAddress(mac(1))?.node_uuid, a.uuid);
  t.is(nodes.portByAddress(mac(2))?.node_uuid, b.uuid);
  store.doc.nodes = [];
  t.is(nodes.get(a.uuid), undefined);
});

test('an updated node is found as its new record', async (t) => {
  const { nodes } = repo();
  const a = await nodes.create({ name: 'a' });
  t.is(nodes.get(a.uuid), a);
  const updated = await nodes.update(a.uuid, (n) => (n.extra = { k: 1 }));
  t.is(nodes.get(a.uuid.toUpperCase()), updated);
  t.is(nodes.get('a'), updated);
});
