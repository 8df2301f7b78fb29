// 0.5 % packet loss each way (nft `numgen random` drop on the input hook of both namespaces, as in
// dependencies.md §2): three real clients × three runs of a 2 MiB file must all arrive byte-exact.
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { requireTools } from '../../helpers/netns.js';
import {
  cleanup,
  CLIENT_IP,
  Driver,
  makeFixture,
  makeTopology,
  SERVER_IP,
  sha256File,
  type Fixture,
  type Topology,
} from './harness.js';

// Under `npx`, node_modules/.bin is first on PATH and @vercel/nft installs a CLI named `nft` there:
// always call the system nftables binary by its absolute path.
const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p)) ?? '/usr/sbin/nft';

let topo: Topology | undefined;
let fixture: Fixture | undefined;
let driver: Driver;

function lossRules(peer: string): string {
  return [
    'table inet tftploss {',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    `    ip saddr ${peer} meta l4proto udp numgen random mod 1000 < 5 counter drop`,
    '  }',
    '}',
  ].join('\n');
}

test.before(async () => {
  await requireTools('ip', NFT, 'tftp', 'atftp', 'curl');
  fixture = await makeFixture({ 'two.bin': 2 * 1024 * 1024 });
  topo = await makeTopology();
  // Tables live in the namespaces and vanish with them.
  await topo.server.exec(NFT, ['-f', '-'], { input: lossRules(CLIENT_IP) });
  await topo.client.exec(NFT, ['-f', '-'], { input: lossRules(SERVER_IP) });
  // Defaults except the port: the acceptance is about the shipped retransmission behaviour.
  driver = await Driver.start(topo.server, { tftp: { root: fixture.root, address: SERVER_IP, port: 69 } });
});

test.after.always(async () => {
  await topo?.destroy();
  await cleanup(fixture);
});

const clients: Record<string, (dest: string) => [string, string[]]> = {
  'tftp-hpa': (dest) => ['sh', ['-c', 'tftp -m binary "$0" -c get two.bin "$1" 2>&1', SERVER_IP, dest]],
  atftp: (dest) => [
    'atftp',
    [
      '--tftp-timeout',
      '1',
      '--option',
      'blksize 1468',
      '--option',
      'windowsize 16',
      '-g',
      '-r',
      'two.bin',
      '-l',
      dest,
      SERVER_IP,
    ],
  ],
  curl: (dest) => ['curl', ['-sS', '--tftp-blksize', '1468', '-o', dest, `tftp://${SERVER_IP}/two.bin`]],
};

test('9/9 transfers byte-exact under 0.5 % loss each way (3 clients × 3 runs, 2 MiB)', async (t) => {
  const results: string[] = [];
  for (let run = 1; run <= 3; run++) {
    // The three clients run side by side; each run starts when the previous one is done.
    await Promise.all(
      Object.entries(clients).map(async ([name, command]) => {
        const dest = path.join(fixture!.out, `${name}-${run}`);
        const [cmd, args] = command(dest);
        const started = Date.now();
        try {
          await topo!.client.exec(cmd, args);
          const ok = (await sha256File(dest)) === fixture!.hashes['two.bin'];
          results.push(`${name}#${run}: ${ok ? 'ok' : 'CORRUPT'} ${Date.now() - started} ms`);
        } catch (e) {
          results.push(`${name}#${run}: FAILED ${(e as Error).message.split('\n')[0]}`);
        }
      }),
    );
  }
  const drops = await Promise.all([
    topo!.server.exec(NFT, ['list', 'table', 'inet', 'tftploss']),
    topo!.client.exec(NFT, ['list', 'table', 'inet', 'tftploss']),
  ]);
  const counters = drops.map((d) => /packets (\d+)/.exec(d)?.[1] ?? '?');
  const stats = await driver.stats();
  t.log(results.join('\n'));
  t.log(
    `dropped: server input ${counters[0]}, client input ${counters[1]}; server retransmits ${String(stats.retransmits)}`,
  );
  t.is(results.filter((r) => r.includes(': ok ')).length, 9, results.join('\n'));
  t.true(Number(counters[0]) + Number(counters[1]) > 0, 'the loss rules really dropped packets');
});
