// API under load: a real `inspectord serve` on 127.0.0.1 with N enrolled nodes (half finished with a
// real inventory, half waiting), then wrk (Debian) drives status, list and /healthz for a fixed time.
// Run: npx tsc -p tsconfig.json && node dist/bench/api-bench.js [nodes=1000] [seconds=10] [connections=32] [--basic]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort } from '../test/helpers/daemon.js';
import { inventoryFor, macOf, must, pool, procStats, startServe } from './fleet-common.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 1000);
const SECONDS = Number(args[1] ?? 10);
const CONNECTIONS = Number(args[2] ?? 32);
const BASIC = process.argv.includes('--basic');

const wrkCheck = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
if (wrkCheck.error) throw new Error('wrk is not installed (apt-get install wrk, or: npm run setup)');

const stateDir = await mkdtemp(join(tmpdir(), 'inspectord-apibench-'));
const port = await freePort();
const user = 'bench';
const password = 'bench-password';
const auth = BASIC ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined;
if (BASIC) await writeFile(join(stateDir, 'htpasswd'), `${user}:${bcrypt.hashSync(password, 10)}\n`);
const daemon = await startServe(
  {
    DEFAULT: {
      listen_address: '127.0.0.1',
      listen_port: port,
      state_dir: stateDir,
      log_level: 'warn',
      ...(BASIC
        ? { auth_strategy: 'http_basic', http_basic_auth_user_file: join(stateDir, 'htpasswd') }
        : {}),
    },
    ipmi: { enabled: false },
    processing: { callback_auth: 'none' },
  },
  { stateDir, url: `http://127.0.0.1:${port}` },
);

/** Set-up calls, with the credentials when --basic. */
const call = (method: string, path: string, body?: unknown): Promise<unknown> =>
  must(daemon.url, method, path, body, auth ? { authorization: auth } : {});

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: string;
}

// wrk prints latency percentiles with --latency; a Lua script picks a node per request.
function wrk(script: string, path: string): WrkResult {
  const r = spawnSync(
    'wrk',
    [
      `-t2`,
      `-c${CONNECTIONS}`,
      `-d${SECONDS}s`,
      '--latency',
      '-s',
      script,
      ...(auth ? ['-H', `Authorization: ${auth}`] : []),
      `${daemon.url}${path}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const errors = [/Socket errors:.*$/m.exec(out)?.[0], /Non-2xx or 3xx responses:.*$/m.exec(out)?.[0]]
    .filter(Boolean)
    .join('; ');
  return { rps, p50: ms('50'), p99: ms('99'), errors: errors || 'none' };
}

try {
  const uuids: string[] = new Array<string>(N);
  await pool(N, 16, async (i) => {
    const node = (await call('POST', '/v1/nodes', { name: `api-${i}`, ports: [{ address: macOf(i) }] })) as {
      uuid: string;
    };
    uuids[i] = node.uuid;
    await call('POST', `/v1/introspection/${node.uuid}?manage_boot=false`);
  });
  // Half of them finish for real (a stored inventory each), the other half stay waiting.
  await pool(Math.floor(N / 2), 8, async (i) => {
    await call('POST', '/v1/continue', inventoryFor(i, `198.18.${(i >> 8) & 255}.${(i & 255) + 1}`));
  });
  const uuidFile = join(stateDir, 'uuids.txt');
  await writeFile(uuidFile, `${uuids.join('\n')}\n`);

  const statusLua = join(stateDir, 'status.lua');
  await writeFile(
    statusLua,
    [
      'local ids = {}',
      `for line in io.lines("${uuidFile}") do ids[#ids + 1] = line end`,
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      '  return wrk.format("GET", "/v1/introspection/" .. ids[(n % #ids) + 1])',
      'end',
      '',
    ].join('\n'),
  );
  const plainLua = join(stateDir, 'plain.lua');
  await writeFile(plainLua, 'request = function() return wrk.format("GET") end\n');

  console.log(
    `setup: ${N} nodes (${Math.floor(N / 2)} finished with an inventory, the rest waiting); ` +
      `wrk -t2 -c${CONNECTIONS} -d${SECONDS}s; auth ${BASIC ? 'http_basic (bcrypt cost 10)' : 'noauth'}`,
  );
  const cases: Array<[string, string, string]> = [
    ['status  GET /v1/introspection/<uuid> (rotating)', statusLua, '/'],
    ['list    GET /v1/introspection?limit=50 (a page)', plainLua, '/v1/introspection?limit=50'],
    [
      `list    GET /v1/introspection (default limit = api_max_limit: all ${N})`,
      plainLua,
      '/v1/introspection',
    ],
    ['health  GET /healthz', plainLua, '/healthz'],
  ];
  for (const [label, script, path] of cases) {
    const before = procStats(daemon.pid);
    const r = wrk(script, path);
    const after = procStats(daemon.pid);
    console.log(
      `${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
        `errors ${r.errors}; daemon CPU ${(((after.cpu - before.cpu) / SECONDS) * 100).toFixed(0)} % of a core`,
    );
    if (r.errors !== 'none') process.exitCode = 1;
  }
  const end = procStats(daemon.pid);
  console.log(`daemon peak RSS (VmHWM) ${end.hwmMiB.toFixed(0)} MiB, RSS now ${end.rssMiB.toFixed(0)} MiB`);
} finally {
  await daemon.stop();
  await rm(stateDir, { recursive: true, force: true });
}
