// Thin typed wrapper over the `nft` binary in JSON mode: one spawned `nft -j -f <file>` per batch
// (one netlink transaction, all-or-nothing), `nft -j list table` for read-back, and nft's stderr
// turned into coded AppErrors. No shell is involved: argv is passed as an array.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../core/errors.js';

/** Objects of the nft JSON schema (libnftables-json(5)) that this project writes. */
export type NftFamily = 'inet';
export type NftExpr = Record<string, unknown>;

export interface NftTableObject {
  table: { family: NftFamily; name: string };
}
export interface NftSetObject {
  set: {
    family: NftFamily;
    table: string;
    name: string;
    type?: string;
    flags?: string[];
    /** Default element timeout, seconds. */
    timeout?: number;
    /** Stateful expressions every element carries (e.g. `[{ counter: null }]`). */
    stmt?: NftExpr[];
    comment?: string;
  };
}
export interface NftCounterObject {
  counter: { family: NftFamily; table: string; name: string };
}
export interface NftChainObject {
  chain: {
    family: NftFamily;
    table: string;
    name: string;
    type?: 'filter';
    hook?: 'input' | 'forward' | 'prerouting';
    prio?: number;
    policy?: 'accept' | 'drop';
  };
}
export interface NftRuleObject {
  rule: { family: NftFamily; table: string; chain: string; expr: NftExpr[]; comment?: string };
}
/** A set element: a bare value, or `{elem: {val, timeout}}` for a per-element timeout (seconds). */
export type NftElement = string | { elem: { val: string; timeout?: number } };
export interface NftElementObject {
  element: { family: NftFamily; table: string; name: string; elem: NftElement[] };
}
export type NftObject =
  NftTableObject | NftSetObject | NftCounterObject | NftChainObject | NftRuleObject | NftElementObject;

export type NftCommand = { add: NftObject } | { delete: NftObject } | { flush: NftObject };
export interface NftBatch {
  nftables: NftCommand[];
}

/** One entry of `nft -j list …` output (metainfo, table, set, chain, rule, counter…); loosely typed. */
export type NftListEntry = Record<string, Record<string, unknown>>;

export interface NftOptions {
  /** Path of the nft binary (or a shim). Absolute by default: under `npm`/`npx` the PATH starts with
   *  node_modules/.bin, where @vercel/nft (a dev tool of ava) installs an unrelated `nft`. */
  nftPath: string;
  /** Kill nft and fail the call if it takes longer than this (ms). */
  timeoutMs: number;
}

export const defaultNftOptions: NftOptions = { nftPath: '/usr/sbin/nft', timeoutMs: 10_000 };

export interface NftDeps {
  log: Logger;
  options?: Partial<NftOptions>;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `Error: …` lines of nft's stderr, without the source excerpt and caret lines. */
function nftMessages(stderr: string): string[] {
  const messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const match = /Error: (.*)$/.exec(line.trim());
    if (match?.[1]) messages.push(match[1].trim());
  }
  if (messages.length === 0) {
    const first = stderr
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    if (first) messages.push(first);
  }
  return messages;
}

/**
 * Turn a failed nft run into a coded error. EPERM comes from netlink when the process lacks
 * CAP_NET_ADMIN in its network namespace; nft then says "Operation not permitted".
 */
export function parseNftFailure(stderr: string, exitCode: number | null, args: readonly string[]): AppError {
  const messages = nftMessages(stderr);
  const summary = messages.join('; ') || `nft exited with code ${String(exitCode)} and no message`;
  const details = {
    args: [...args],
    exitCode,
    stderr: stderr.trim(),
    noSuchObject: /No such file or directory/.test(stderr),
  };
  if (/Operation not permitted/.test(stderr)) {
    return new AppError(
      'ERR_FIREWALL_PERMISSION',
      `nft was refused by the kernel (${summary}): inspectord needs CAP_NET_ADMIN to manage its nftables table — ` +
        'run it as root or with AmbientCapabilities=CAP_NET_ADMIN, or set [pxe_filter] driver = noop',
      details,
    );
  }
  return new AppError('ERR_FIREWALL_NFT_FAILED', `nft failed: ${summary}`, details);
}

export function isNoSuchObject(error: unknown): boolean {
  return (
    error instanceof AppError &&
    error.code === 'ERR_FIREWALL_NFT_FAILED' &&
    error.details?.noSuchObject === true
  );
}

export class Nft {
  private readonly log: Logger;
  readonly options: NftOptions;

  constructor(deps: NftDeps) {
    this.log = deps.log;
    this.options = { ...defaultNftOptions, ...deps.options };
  }

  /**
   * Apply a batch atomically (`nft -j -f <file>`): either every command takes effect or none does.
   * Not `-f -`: nft opens /dev/stdin by path, which fails with ENXIO on the socketpair Node gives a
   * child as stdin; a private 0600 file has no size limit (unlike one argv string, 128 KiB).
   */
  async apply(batch: NftBatch): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'inspectord-nft-'));
    try {
      const file = join(dir, 'batch.json');
      await writeFile(file, JSON.stringify(batch), { mode: 0o600 });
      const args = ['-j', '-f', file];
      const result = await this.run(args);
      if (result.code !== 0) throw parseNftFailure(result.stderr, result.code, args);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    this.log.debug({ commands: batch.nftables.length }, 'nft batch applied');
  }

  /** `nft -j list table inet <name>`; `null` when the table does not exist. */
  async list(table: string, family: NftFamily = 'inet'): Promise<NftListEntry[] | null> {
    const args = ['-j', 'list', 'table', family, table];
    const result = await this.run(args);
    if (result.code !== 0) {
      const error = parseNftFailure(result.stderr, result.code, args);
      if (isNoSuchObject(error)) return null;
      throw error;
    }
    try {
      const parsed = JSON.parse(result.stdout) as { nftables?: NftListEntry[] };
      return parsed.nftables ?? [];
    } catch {
      throw new AppError('ERR_FIREWALL_NFT_FAILED', 'nft printed a listing that is not JSON', {
        args,
        stdout: result.stdout.slice(0, 500),
        stderr: result.stderr.slice(0, 500),
      });
    }
  }

  private run(args: string[]): Promise<RunResult> {
    const { nftPath, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(nftPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let settled = false;
      const timer = setTimeout(() => {
        if (child.pid !== undefined) child.kill('SIGKILL');
        finish(() =>
          reject(
            new AppError('ERR_FIREWALL_NFT_FAILED', `nft did not finish within ${timeoutMs} ms`, { args }),
          ),
        );
      }, timeoutMs);
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        action();
      };
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error: NodeJS.ErrnoException) => {
        finish(() => {
          if (error.code === 'ENOENT' || error.code === 'EACCES') {
            reject(
              new AppError(
                'ERR_FIREWALL_NFT_MISSING',
                `cannot run ${nftPath} (${error.code}): install the nftables package, set [pxe_filter] nft_path, ` +
                  'or set [pxe_filter] driver = noop',
                { nftPath, errno: error.code },
              ),
            );
          } else {
            reject(
              new AppError('ERR_FIREWALL_NFT_FAILED', `cannot run ${nftPath}: ${error.message}`, { nftPath }),
            );
          }
        });
      });
      child.on('close', (code) => finish(() => resolve({ code, stdout, stderr })));
    });
  }
}
