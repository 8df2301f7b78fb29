// [rules] rules_file with a real `inspectord serve --config …` (the unit's ExecStart): loaded at
// start, re-applied on SIGHUP (a callback then gets the new rule's effect), protected from API
// deletion, and an invalid file refuses the start with exit 78 (ADR 0011).
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, freePort, iniText, MAIN, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';
import { callbackBody, enrolAndStart, waitForState } from './ops-harness.js';

const RULE = '0b5e1a0c-6a7d-4c21-9f4e-3f2b8d1c0a01';

/** A rule that matches every node and sets extra.rule_version. */
const versionRule = (version: string, uuid = RULE): Record<string, unknown> => ({
  uuid,
  description: `rule version ${version}`,
  conditions: [],
  actions: [{ action: 'set-attribute', path: '/extra/rule_version', value: version }],
});

interface ReloadEvent {
  level: string;
  message: string;
  data?: { errors?: string[]; rules?: { created: string[]; replaced: string[]; deleted: string[] } };
}

async function reloadEvents(url: string): Promise<ReloadEvent[]> {
  return ((await api(url, 'GET', '/v1/events?type=daemon.reload')).json as { events: ReloadEvent[] }).events;
}

async function hangup(daemon: DaemonHandle, count: number): Promise<ReloadEvent> {
  daemon.child.kill('SIGHUP');
  const events = await waitFor(
    async () => {
      const found = await reloadEvents(daemon.url);
      return found.length >= count ? found : null;
    },
    `reload event #${count}`,
    10_000,
  );
  return events[count - 1]!;
}

async function introspect(daemon: DaemonHandle, name: string, mac: string): Promise<unknown> {
  const uuid = await enrolAndStart(daemon.url, name, mac);
  const r = await api(daemon.url, 'POST', '/v1/continue', JSON.parse(callbackBody(mac)) as unknown);
  if (r.status !== 200) throw new Error(`callback: ${r.status} ${r.text}`);
  await waitForState(daemon.url, uuid, 'finished');
  const node = (await api(daemon.url, 'GET', `/v1/nodes/${uuid}`)).json as {
    extra?: Record<string, unknown>;
  };
  return node.extra?.rule_version;
}

test.serial('SIGHUP applies a changed rules file: a callback then gets the new rule', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-rules-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rulesFile = join(dir, 'rules.json');
  await writeFile(rulesFile, JSON.stringify([versionRule('v1')]));
  const sections = {
    ipmi: { enabled: false },
    processing: { callback_auth: 'none', power_off: false },
    rules: { rules_file: rulesFile },
  };
  const daemon = await startDaemon(sections);
  t.teardown(() => daemon.cleanup());

  const shown = (await api(daemon.url, 'GET', `/v1/rules/${RULE}`)).json as Record<string, unknown>;
  t.like(shown, { uuid: RULE, source: 'file', description: 'rule version v1' });
  t.is(await introspect(daemon, 'rules-a', '52:54:00:0c:00:01'), 'v1');

  // An API rule beside the file's: never touched by the file.
  const apiRule = await api(daemon.url, 'POST', '/v1/rules', {
    description: 'from the API',
    conditions: [],
    actions: [{ action: 'set-attribute', path: '/extra/api_rule', value: true }],
  });
  t.is(apiRule.status, 201, apiRule.text);

  await writeFile(rulesFile, JSON.stringify([versionRule('v2')]));
  const first = await hangup(daemon, 1);
  t.deepEqual(first.data?.errors, []);
  t.deepEqual(first.data?.rules?.replaced, [RULE]);
  t.regex(first.message, /rules file: 0 created, 1 replaced, 0 deleted/);
  t.is(await introspect(daemon, 'rules-b', '52:54:00:0c:00:02'), 'v2');
  const listed = (await api(daemon.url, 'GET', '/v1/rules')).json as { rules: Array<{ uuid: string }> };
  t.is(listed.rules.length, 2, 'the API rule stays');

  // File rules cannot be deleted through the API.
  const refused = await api(daemon.url, 'DELETE', `/v1/rules/${RULE}`);
  t.is(refused.status, 409);
  t.regex(refused.text, /comes from the rules file/);

  // An invalid file changes nothing and is reported in the reload event's errors.
  await writeFile(rulesFile, JSON.stringify([{ ...versionRule('v3'), actions: [] }]));
  const second = await hangup(daemon, 2);
  t.is(second.level, 'error');
  t.regex(second.data?.errors?.[0] ?? '', /ERR_RULES_FILE_INVALID|rules_file .*\[0\]\.actions/);
  t.is(await introspect(daemon, 'rules-c', '52:54:00:0c:00:03'), 'v2');
});

test.serial('an invalid rules file refuses the start with exit 78', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-rules-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rulesFile = join(dir, 'rules.json');
  await writeFile(rulesFile, '[{"conditions": [], "actions": [{"action": "no-such-action"}]}]');
  const configPath = join(dir, 'inspector.conf');
  await writeFile(
    configPath,
    iniText({
      DEFAULT: { listen_address: '127.0.0.1', listen_port: await freePort(), state_dir: dir },
      ipmi: { enabled: false },
      rules: { rules_file: rulesFile },
    }),
  );
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 78, stderr);
  t.regex(stderr, /ERR_RULES_FILE_INVALID: \[rules\] rules_file .*\[0\]\.actions\[0\]/);
});
