// Shared harness of the firewall integration tests: an nft shim that runs the real nft inside a
// test namespace (optionally failing the next N batches, or without CAP_NET_ADMIN), udhcpc runs.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EventInput } from '../../../src/core/events.js';
import { NftablesPxeFilter, type NftablesPxeFilterOptions } from '../../../src/firewall/filter.js';
import type { Netns } from '../../helpers/netns.js';

/** The real nft: never plain `nft`, which under npx resolves to @vercel/nft in node_modules/.bin. */
export const NFT = '/usr/sbin/nft';

export interface Shim {
  path: string;
  /** Make the next `n` batch applies (`nft -j -f <file>`) fail with an nft-like error. */
  failNextApplies(n: number): void;
  remaining(): number;
  dispose(): void;
}

/** A PATH-style shim standing in for `nft`: it execs the real nft inside `ns`. */
export function nftShim(ns: Netns, opts: { unprivileged?: boolean } = {}): Shim {
  const dir = mkdtempSync(join(tmpdir(), 'nft-shim-'));
  const path = join(dir, 'nft');
  const counter = join(dir, 'fail-count');
  writeFileSync(counter, '0');
  const drop = opts.unprivileged ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : '';
  writeFileSync(
    path,
    `#!/bin/sh
n=$(cat '${counter}')
if [ "$2" = "-f" ] && [ "$n" -gt 0 ]; then
  echo $((n - 1)) > '${counter}'
  echo 'internal:0:0-0: Error: Could not process rule: Device or resource busy (injected)' >&2
  exit 1
fi
exec ip netns exec '${ns.name}' ${drop}${NFT} "$@"
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    failNextApplies: (n) => writeFileSync(counter, String(n)),
    remaining: () => Number(readFileSync(counter, 'utf8')),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function makeFilter(
  nftPath: string,
  options: Partial<NftablesPxeFilterOptions> & { interface: string },
): { filter: NftablesPxeFilter; events: EventInput[] } {
  const events: EventInput[] = [];
  const filter = new NftablesPxeFilter({
    log: pino({ level: 'silent' }),
    events: { emit: (e) => events.push(e) },
    clock: { now: () => Date.now() },
    options: { ...options, nftPath },
  });
  return { filter, events };
}

/** Run a command, resolving with its exit code and output instead of rejecting. */
export function runCode(
  cmd: string,
  args: string[],
  timeout = 20_000,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout.toString()}${stderr.toString()}` });
      },
    );
  });
}

export async function setMac(ns: Netns, ifname: string, mac: string): Promise<void> {
  await ns.exec('ip', ['link', 'set', ifname, 'down']);
  await ns.exec('ip', ['addr', 'flush', 'dev', ifname]);
  await ns.exec('ip', ['link', 'set', ifname, 'address', mac]);
  await ns.exec('ip', ['link', 'set', ifname, 'up']);
}

/**
 * One DHCP attempt with busybox udhcpc as a UEFI x64 PXE client (option 93 = 7): the leased address
 * or null when no lease came ("no lease" is what a refused client sees).
 */
export async function dhcp(ns: Netns, ifname: string, extra: string[] = []): Promise<string | null> {
  const result = await runCode('ip', [
    'netns',
    'exec',
    ns.name,
    'busybox',
    'udhcpc',
    '-i',
    ifname,
    '-n',
    '-q',
    '-t',
    '2',
    '-T',
    '1',
    '-x',
    '0x5d:0007',
    ...extra,
    '-s',
    '/bin/true',
  ]);
  const m = /lease of (\S+) obtained/.exec(result.output);
  return result.code === 0 && m?.[1] ? m[1] : null;
}

/** `nft -j list tables` inside ns: the names of all tables. */
export async function tableNames(ns: Netns): Promise<string[]> {
  const out = JSON.parse(await ns.exec(NFT, ['-j', 'list', 'tables'])) as {
    nftables: Array<{ table?: { name: string } }>;
  };
  return out.nftables.flatMap((e) => (e.table ? [e.table.name] : []));
}

export type Listing = Array<Record<string, Record<string, unknown>>>;

export async function listTable(ns: Netns, table = 'inspectord'): Promise<Listing> {
  return (JSON.parse(await ns.exec(NFT, ['-j', 'list', 'table', 'inet', table])) as { nftables: Listing })
    .nftables;
}
