// lookupNode scores from the records' side; the scores must equal the reference's definition:
// one point per data attribute (name, value) that the record holds.
import test from 'ava';
import type { IntrospectionRecord } from '../../../src/core/introspection-record.js';
import { bmcAddressesFromData, lookupNode, macsFromData } from '../../../src/core/lookup.js';

function record(uuid: string, bmc: string[], mac: string[], finished = false): IntrospectionRecord {
  return {
    uuid,
    state: finished ? 'finished' : 'waiting',
    started_at: 'x',
    finished_at: finished ? 'y' : null,
    error: null,
    manage_boot: false,
    attributes: { bmc_address: bmc, mac },
    options: {},
    version: 1,
  };
}

/** The definition, written the direct way (every data value against every record). */
function referenceScores(records: IntrospectionRecord[], data: Record<string, unknown>): Map<string, number> {
  const bmcs = bmcAddressesFromData(data);
  const macs = macsFromData(data);
  const scores = new Map<string, number>();
  for (const r of records) {
    let score = 0;
    for (const b of bmcs) if (r.attributes.bmc_address.includes(b)) score += 1;
    for (const m of macs) if (r.attributes.mac.includes(m)) score += 1;
    if (score > 0) scores.set(r.uuid, score);
  }
  return scores;
}

const MACS = ['52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03', '52:54:00:00:00:04'];
const BMCS = ['198.18.1.1', '198.18.1.2', 'fd00::1'];

test('scores match the direct definition on random records, duplicates included', (t) => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = (list: string[]) => Array.from({ length: rand(4) }, () => list[rand(list.length)]!);
  for (let round = 0; round < 300; round++) {
    const records = Array.from({ length: 1 + rand(5) }, (_, i) =>
      record(`u${i}`, pick(BMCS), pick(MACS), rand(4) === 0),
    );
    const macs = pick(MACS);
    const data = {
      inventory: { bmc_address: BMCS[rand(3)], bmc_v6address: rand(2) ? 'fd00::1' : '::' },
      all_interfaces: Object.fromEntries(macs.map((m, i) => [`eth${i}`, { mac: m }])),
    };
    const expected = referenceScores(records, data);
    const result = lookupNode(records, data);
    if (expected.size === 0) {
      t.true('error' in result && result.error.code === 'ERR_LOOKUP_NOT_FOUND');
      continue;
    }
    const best = Math.max(...expected.values());
    const winners = [...expected].filter(([, s]) => s === best).map(([u]) => u);
    if (winners.length > 1) {
      t.true('error' in result && result.error.code === 'ERR_LOOKUP_AMBIGUOUS', `round ${round}`);
    } else if (records.find((r) => r.uuid === winners[0])!.finished_at !== null) {
      t.true('error' in result && result.error.code === 'ERR_LOOKUP_FINISHED', `round ${round}`);
    } else {
      t.deepEqual(result, { uuid: winners[0], score: best }, `round ${round}`);
    }
  }
});

test('a data value held twice by a record counts once', (t) => {
  const records = [record('a', [], [MACS[0]!, MACS[0]!]), record('b', ['198.18.1.1'], [])];
  const data = { inventory: { bmc_address: '198.18.1.9' }, all_interfaces: { eth0: { mac: MACS[0] } } };
  t.deepEqual(lookupNode(records, data), { uuid: 'a', score: 1 });
});
