// Cost of applying the PXE filter from Node: full start batch and update batch with N MACs, inside
// a throwaway network namespace (root). Run: node dist/bench/firewall-sync.js [N...]
import pino from 'pino';
import { NftablesPxeFilter } from '../src/firewall/filter.js';
import { Netns } from '../test/helpers/netns.js';
import { nftShim } from '../test/integration/firewall/harness.js';

function macs(n: number, prefix: string): string[] {
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return Array.from({ length: n }, (_, i) => `${prefix}:${hex((i >> 8) & 255)}:${hex(i & 255)}`);
}

const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const ns = await Netns.create('nfbn');
const shim = nftShim(ns);
try {
  for (const n of sizes.length ? sizes : [10, 1000, 10000]) {
    const filter = new NftablesPxeFilter({
      log: pino({ level: 'silent' }),
      events: { emit: () => undefined },
      clock: { now: () => Date.now() },
      options: { interface: 'prov0', nftPath: shim.path },
    });
    const allow = macs(Math.ceil(n / 10), '52:54:00:01').map((mac) => ({
      mac,
      expiresAt: Date.now() + 3_600_000,
    }));
    const deny = macs(n, '52:54:00:02');
    let t0 = performance.now();
    await filter.start();
    await filter.sync({ allow, deny, unknown: 'deny' });
    const first = performance.now() - t0;
    t0 = performance.now();
    await filter.sync({ allow, deny: deny.slice(1), unknown: 'deny' });
    const update = performance.now() - t0;
    t0 = performance.now();
    await filter.sync({ allow, deny: deny.slice(1), unknown: 'deny' });
    const unchanged = performance.now() - t0;
    if (!filter.status().healthy) throw new Error(filter.status().lastError);
    console.log(
      `${n} denied + ${allow.length} allowed: start+first sync ${first.toFixed(0)} ms, ` +
        `update ${update.toFixed(0)} ms, unchanged sync ${unchanged.toFixed(0)} ms`,
    );
    await filter.stop();
  }
} finally {
  shim.dispose();
  await ns.destroy();
}
