// Network-namespace test hosts for integration tests: create namespaces and veth links with
// 198.18.0.0/15 addresses, run peers inside them, and tear everything down by name/PID.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
let counter = 0;

/** A short unique suffix: namespace and interface names must stay ≤ 15 characters. */
export function uniqueId(): string {
  counter += 1;
  return `${(process.pid % 10000).toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 36 * 36).toString(36)}`;
}

export async function sh(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  if (opts.input !== undefined) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} → ${code}: ${err}`)),
      );
      child.stdin.end(opts.input);
    });
  }
  const { stdout } = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export class Netns {
  private readonly children = new Set<ChildProcess>();
  private constructor(readonly name: string) {}

  static async create(prefix = 'ind'): Promise<Netns> {
    const name = `${prefix}-${uniqueId()}`;
    await sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  exec(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Start a long-running process in the namespace; it is killed (by PID) on destroy(). */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...opts });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async destroy(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    // Anything else still running inside the namespace was started by this test; kill by PID.
    try {
      const pids = (await sh('ip', ['netns', 'pids', this.name])).split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* namespace already gone */
    }
    await sh('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

/** Link two namespaces with a veth pair and give each end an address (CIDR form). */
export async function link(
  a: Netns,
  aAddr: string | null,
  b: Netns,
  bAddr: string | null,
  opts: { aMac?: string; bMac?: string } = {},
): Promise<{ aIf: string; bIf: string }> {
  const id = uniqueId();
  const aIf = `va${id}`.slice(0, 15);
  const bIf = `vb${id}`.slice(0, 15);
  await sh('ip', ['link', 'add', aIf, 'netns', a.name, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name]);
  if (opts.aMac) await a.exec('ip', ['link', 'set', aIf, 'address', opts.aMac]);
  if (opts.bMac) await b.exec('ip', ['link', 'set', bIf, 'address', opts.bMac]);
  if (aAddr) await a.exec('ip', ['addr', 'add', aAddr, 'dev', aIf]);
  if (bAddr) await b.exec('ip', ['addr', 'add', bAddr, 'dev', bIf]);
  await a.exec('ip', ['link', 'set', aIf, 'up']);
  await b.exec('ip', ['link', 'set', bIf, 'up']);
  return { aIf, bIf };
}

/** Fail (never skip) when a real peer is missing: CI installs them via scripts/setup.sh. */
export async function requireTools(...tools: string[]): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await sh('sh', ['-c', `command -v ${tool}`]);
    } catch {
      missing.push(tool);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `integration peer(s) missing: ${missing.join(', ')} — run scripts/setup.sh as root (npm test does)`,
    );
  }
}
