// The systemd unit as `inspectord install-unit` installs it: it passes `systemd-analyze verify`,
// its `systemd-analyze security --offline` exposure stays low, and the daemon runs and stops
// cleanly with the unit's own ExecStart/ExecStartPost command lines.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, MAIN } from '../../helpers/daemon.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
/** Highest acceptable `systemd-analyze security` exposure (0 = locked down, 10 = unprotected). */
const MAX_EXPOSURE = 3.0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The command line of `Key=` in the unit, split on spaces (the unit has no quoting). */
function commandOf(unit: string, key: string): string[] {
  const line = unit.split('\n').find((l) => l.startsWith(`${key}=`));
  if (!line) throw new Error(`no ${key}= in the unit`);
  return line.slice(key.length + 1).split(' ');
}

let root = '';
let unitPath = '';

test.before(async () => {
  await requireTools('systemd-analyze');
  root = await mkdtemp(join(tmpdir(), 'inspectord-unit-'));
  unitPath = join(root, 'etc/systemd/system/inspectord.service');
});
test.after.always(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test.serial('install-unit --prefix writes the unit (0644) and the default config (0640)', async (t) => {
  const r = await run(process.execPath, [MAIN, 'install-unit', '--prefix', root]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /skipped systemctl daemon-reload: installed under --prefix/);
  t.is((await stat(unitPath)).mode & 0o777, 0o644);
  const config = join(root, 'etc/inspectord/inspector.conf');
  t.is((await stat(config)).mode & 0o777, 0o640);
  t.is((await stat(join(root, 'etc/inspectord'))).mode & 0o777, 0o750);
  t.is(await readFile(config, 'utf8'), await readFile(join(REPO, 'inspector.conf.example'), 'utf8'));
  const unit = await readFile(unitPath, 'utf8');
  t.deepEqual(commandOf(unit, 'ExecStart').slice(0, 2), [process.execPath, MAIN]);
  t.notRegex(unit, /\/usr\/local\/bin\/inspectord/);

  // Run again: an operator's config is never overwritten.
  await writeFile(config, '[DEFAULT]\nlisten_port = 5051\n');
  const again = await run(process.execPath, [MAIN, 'install-unit', '--prefix', root]);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /kept .*inspector\.conf: it exists/);
  t.is(await readFile(config, 'utf8'), '[DEFAULT]\nlisten_port = 5051\n');
});

test.serial('the installed unit passes systemd-analyze verify', async (t) => {
  const r = await run('systemd-analyze', ['verify', unitPath]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr.trim(), '', 'no warnings');
});

test.serial(`systemd-analyze security --offline rates the unit at most ${MAX_EXPOSURE}`, async (t) => {
  const r = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unitPath]);
  t.is(r.code, 0, r.stderr);
  const match = /Overall exposure level for inspectord\.service: (\d+\.\d)/.exec(r.stdout);
  t.truthy(match, r.stdout);
  const exposure = Number(match![1]);
  t.log(`exposure ${exposure}`);
  t.true(exposure <= MAX_EXPOSURE, `exposure ${exposure}`);
  t.regex(r.stdout, /✓ NoNewPrivileges=/);
  t.regex(r.stdout, /✓ ProtectSystem=/);
});

test.serial(
  "the daemon runs with the unit's ExecStart, is ready per ExecStartPost, and stops on SIGTERM",
  async (t) => {
    const unit = await readFile(unitPath, 'utf8');
    const stateDir = join(root, 'var/lib/inspectord');
    const port = await freePort();
    const config = join(root, 'etc/inspectord/inspector.conf');
    await writeFile(
      config,
      `[DEFAULT]\nlisten_address = 127.0.0.1\nlisten_port = ${port}\nstate_dir = ${stateDir}\nlog_level = info\n\n[ipmi]\nenabled = false\n`,
      { mode: 0o640 },
    );
    const start = commandOf(unit, 'ExecStart').map((a) =>
      a === '/etc/inspectord/inspector.conf' ? config : a,
    );
    t.deepEqual(start.slice(2), ['serve', '--config', config]);
    const child = spawn(start[0]!, start.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const post = commandOf(unit, 'ExecStartPost');
    const ready = await run(post[0]!, post.slice(1), { INSPECTORD_URL: `http://127.0.0.1:${port}` });
    t.is(ready.code, 0, `${ready.stderr}\n--- daemon ---\n${out}`);
    t.is(ready.stdout.trim(), 'ok');

    // Structured logs: every stdout line is one JSON object (what journald stores).
    await waitFor(() => out.includes('inspectord API listening'), 'the listening log line');
    for (const line of out.trim().split('\n')) t.notThrows(() => JSON.parse(line), line);

    // A change right before SIGTERM (debounced write pending) must be on disk after the exit.
    const created = await fetch(`http://127.0.0.1:${port}/v1/nodes`, {
      method: 'POST',
      body: JSON.stringify({ name: 'unit-node', ports: [{ address: '52:54:00:0c:00:01' }] }),
    });
    t.is(created.status, 201);
    child.kill('SIGTERM');
    t.is(await exited, 0, out);
    const saved = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { nodes: unknown };
    t.regex(JSON.stringify(saved.nodes), /unit-node/);
  },
);
