// A real `inspectord serve` running inside the BMC's network namespace next to ipmi_sim: the power
// and boot-device CLI verbs, managed introspection, a wrong password, a garbling BMC and credential
// rotation — every BMC state cross-checked with `ipmitool -I lanplus` reading the same BMC.
import test from 'ava';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { IpmiClient } from '../../../src/ipmi/client.js';
import { api, MAIN, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';
import { startBmcLab, type BmcLab } from '../ipmi/bmc-lab.js';

const run = promisify(execFile);
// Absolute: under npm, node_modules/.bin has an unrelated `nft` (@vercel/nft) first on PATH.
const NFT = '/usr/sbin/nft';
const MAC = '52:54:00:6a:00:01';
const NODE = 'bmc-1';
let lab: BmcLab;
let daemon: DaemonHandle;
let garbler: dgram.Socket | undefined;
let garbled = 0;

/** The real CLI binary, from the root namespace over the veth pair. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args, '--url', daemon.url], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const ipmiPower = async (creds?: { username: string; password: string }) =>
  (await lab.ipmitool(['chassis', 'power', 'status'], creds)).trim();
const ipmiBootFlags = () => lab.ipmitool(['chassis', 'bootparam', 'get', '5']);

/** Datagrams that reached the BMC port from inside the namespace (nft counter on lo). */
async function bmcDatagrams(): Promise<number> {
  const out = await lab.ns.exec(NFT, ['-j', 'list', 'table', 'inet', 'ipmiops']);
  const match = /"counter":\s*\{\s*"packets":\s*(\d+)/.exec(out);
  return Number(match?.[1] ?? NaN);
}

test.before(async () => {
  await requireTools('ipmi_sim', 'ipmitool', 'ip', 'nft');
  lab = await startBmcLab();
  await lab.ns.exec(NFT, ['-f', '-'], {
    input: `table inet ipmiops {
  chain input { type filter hook input priority 0; policy accept; iif "lo" udp dport ${lab.port} counter; }
}\n`,
  });
  // A "BMC" that answers every datagram with garbage, on the root-namespace end of the veth.
  garbler = dgram.createSocket('udp4');
  garbler.on('message', (msg, rinfo) => {
    garbled += 1;
    const junk =
      garbled % 2 === 0 ? msg.subarray(0, 7) : Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, 0x10, 0xff]);
    garbler!.send(junk, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => garbler!.bind(0, lab.hostAddress, resolve));
  daemon = await startDaemon(
    {
      DEFAULT: { log_level: 'debug', introspection_delay: 0 },
      ipmi: { retry_timeouts: '500,1000,1000', deadline: 5000, credential_verify_interval: 1 },
    },
    { netns: lab.ns.name, listenAddress: lab.address },
  );
  const created = await api(daemon.url, 'POST', '/v1/nodes', {
    name: NODE,
    driver_info: {
      ipmi_address: lab.address,
      ipmi_port: String(lab.port), // as `openstack baremetal node set --driver-info` sends it
      ipmi_username: 'admin',
      ipmi_password: 'password',
    },
    ports: [{ address: MAC }],
  });
  if (created.status !== 201) throw new Error(`node create: ${created.status} ${created.text}`);
});

test.after.always(async () => {
  garbler?.close();
  await daemon?.cleanup();
  await lab?.destroy();
});

test.serial('node power on/off/status through the CLI, each confirmed by ipmitool', async (t) => {
  let r = await cli(['node', 'power', 'on', NODE]);
  t.is(r.code, 0, r.stderr);
  t.is(await ipmiPower(), 'Chassis Power is on');
  r = await cli(['node', 'power', 'status', NODE]);
  t.is(r.stdout, 'power on\n');
  r = await cli(['node', 'power', 'off', NODE]);
  t.is(r.code, 0, r.stderr);
  t.is(await ipmiPower(), 'Chassis Power is off');
  r = await cli(['node', 'power', 'status', NODE]);
  t.is(r.stdout, 'power off\n');
});

test.serial('node bootdev pxe through the CLI is what ipmitool reads back', async (t) => {
  let r = await cli(['node', 'bootdev', NODE, 'pxe']);
  t.is(r.code, 0, r.stderr);
  let flags = await ipmiBootFlags();
  t.regex(flags, /Force PXE/);
  t.regex(flags, /Options apply to only next boot/);
  r = await cli(['node', 'bootdev', NODE, 'disk', '--persistent']);
  t.is(r.code, 0, r.stderr);
  flags = await ipmiBootFlags();
  t.regex(flags, /Force Boot from default Hard-Drive/);
  // ipmi_sim does not keep the persistent bit; what counts is reading back exactly what ipmitool's
  // own `bootdev disk options=persistent` leaves on this BMC.
  await lab.ipmitool(['chassis', 'bootdev', 'pxe']);
  await lab.ipmitool(['chassis', 'bootdev', 'disk', 'options=persistent']);
  t.is(flags, await ipmiBootFlags());
});

test.serial('managed introspection powers on to PXE, and /v1/continue ends it with power off', async (t) => {
  await lab.ipmitool(['chassis', 'power', 'off']);
  const started = await api(daemon.url, 'POST', `/v1/introspection/${NODE}?manage_boot=true`);
  t.is(started.status, 202, started.text);
  await waitFor(
    async () =>
      ((await api(daemon.url, 'GET', `/v1/introspection/${NODE}`)).json as { state?: string }).state ===
      'waiting',
    'the introspection to wait for the ramdisk',
    15_000,
    100,
  );
  t.is(await ipmiPower(), 'Chassis Power is on');
  t.regex(await ipmiBootFlags(), /Force PXE/);
  const done = await api(daemon.url, 'POST', '/v1/continue', ipaInventory(MAC));
  t.is(done.status, 200, done.text);
  const status = (await api(daemon.url, 'GET', `/v1/introspection/${NODE}`)).json as Record<string, unknown>;
  t.like(status, { finished: true, error: null });
  await waitFor(
    async () => (await ipmiPower()) === 'Chassis Power is off',
    'power off after introspection',
    15_000,
    200,
  );
  t.pass();
});

test.serial(
  'a wrong BMC password at start is a clear 400 after a few datagrams, no retry storm',
  async (t) => {
    t.teardown(async () => {
      await cli(['node', 'set', NODE, '--ipmi-password', 'password']);
    });
    const r = await cli(['node', 'set', NODE, '--ipmi-password', 'wrongpass']);
    t.is(r.code, 0, r.stderr);
    const before = await bmcDatagrams();
    const startedAt = Date.now();
    const answer = await api(daemon.url, 'POST', `/v1/introspection/${NODE}?manage_boot=true`);
    const elapsed = Date.now() - startedAt;
    t.is(answer.status, 400, answer.text);
    t.regex((answer.json as { error: { message: string } }).error.message, /RAKP2/);
    t.true(elapsed < 3000, `took ${elapsed} ms`);
    // Get Channel Auth Caps, Open Session, RAKP1 — and nothing resent once the BMC said no.
    t.is((await bmcDatagrams()) - before, 3);
    const record = await api(daemon.url, 'GET', `/v1/introspection/${NODE}`);
    t.like(record.json, { finished: true, error: null }); // the previous, successful run is untouched
  },
);

test.serial(
  'a BMC sending garbage gets a clear error after bounded tries and the daemon lives on',
  async (t) => {
    const port = (garbler!.address() as { port: number }).port;
    const created = await api(daemon.url, 'POST', '/v1/nodes', {
      name: 'garbled',
      driver_info: {
        ipmi_address: lab.hostAddress,
        ipmi_port: port,
        ipmi_username: 'admin',
        ipmi_password: 'password',
      },
    });
    t.is(created.status, 201, created.text);
    const r = await cli(['node', 'power', 'status', 'garbled']);
    t.is(r.code, 1);
    t.regex(r.stderr, /invalid/);
    t.regex(r.stderr, new RegExp(`${lab.hostAddress.replace(/\./g, '\\.')}:${port}`));
    // 3 tries in the IPMI 2.0 form and one in the 1.5 form.
    t.true(garbled >= 1 && garbled <= 4, `${garbled} datagrams`);
    t.is(daemon.child.exitCode, null);
    t.is((await api(daemon.url, 'GET', '/')).status, 200);
    t.is((await cli(['node', 'power', 'status', NODE])).stdout, 'power off\n');
  },
);

test.serial(
  'rotation: ipmitool logs in with the new credentials, the old ones fail, no password leaks',
  async (t) => {
    // Busy node: 409 while an introspection runs.
    const busy = await api(daemon.url, 'POST', `/v1/introspection/${NODE}?manage_boot=false`);
    t.is(busy.status, 202, busy.text);
    let r = await cli(['node', 'rotate-credentials', NODE]);
    t.is(r.code, 1);
    t.regex(r.stderr, /under introspection/);
    t.is((await api(daemon.url, 'POST', `/v1/introspection/${NODE}/abort`)).status, 202);

    // The operator chooses the password (≤ 16: ipmi_sim keeps only 16 bytes) and retires "admin".
    const chosen = 'Rotated1234';
    r = await cli(
      ['node', 'rotate-credentials', NODE, '--new-username', 'ops', '--disable-previous', '--format', 'json'],
      {
        INSPECTORD_NEW_BMC_PASSWORD: chosen,
      },
    );
    t.is(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as Record<string, unknown>;
    t.like(answer, {
      username: 'ops',
      password_generated: false,
      previous_username: 'admin',
      previous_disabled: true,
    });
    t.not(answer.uid, 1);
    t.not(answer.uid, 2);
    t.false(r.stdout.includes(chosen));
    t.regex(await ipmiPower({ username: 'ops', password: chosen }), /^Chassis Power is (on|off)$/);
    const client = new IpmiClient({
      log: pino({ level: 'silent' }),
      options: { retryTimeoutsMs: [500, 1000] },
    });
    const old = await t.throwsAsync(
      client.validate({ address: lab.address, port: lab.port, username: 'admin', password: 'password' }),
    );
    t.is((old as { code?: string }).code, 'ERR_IPMI_AUTH');
    await t.throwsAsync(ipmiPower({ username: 'admin', password: 'password' }));

    // A generated password: nobody sees it, the daemon uses it.
    r = await cli(['node', 'rotate-credentials', NODE, '--format', 'json']);
    t.is(r.code, 0, r.stderr);
    t.like(JSON.parse(r.stdout), {
      username: 'inspector',
      password_generated: true,
      previous_username: 'ops',
    });
    t.is((await cli(['node', 'power', 'status', NODE])).code, 0);
    const state = JSON.parse(await readFile(join(daemon.stateDir, 'state.json'), 'utf8')) as {
      nodes: Array<{ name: string; driver_info: Record<string, unknown> }>;
    };
    const generated = String(state.nodes.find((n) => n.name === NODE)!.driver_info.ipmi_password);
    t.regex(generated, /^[A-Za-z0-9]{16,20}$/);
    t.regex(await ipmiPower({ username: 'inspector', password: generated }), /^Chassis Power is (on|off)$/);

    // No password in the API, the CLI, the event log or the daemon's log output.
    const shown = await api(daemon.url, 'GET', `/v1/nodes/${NODE}`);
    t.like(shown.json, { driver_info: { ipmi_username: 'inspector', ipmi_password: '******' } });
    const events = await api(daemon.url, 'GET', `/v1/events?node=${NODE}&limit=1000`);
    t.regex(events.text, /ipmi\.credentials\.stored/);
    t.regex(events.text, /ipmi\.credentials\.disabled/);
    const eventFiles = await readdir(join(daemon.stateDir, 'events'));
    let eventLog = '';
    for (const f of eventFiles) eventLog += await readFile(join(daemon.stateDir, 'events', f), 'utf8');
    t.true(eventLog.includes('ipmi.credentials.stored'));
    t.true(daemon.output().includes('"level":20'), 'debug logging was on');
    for (const secret of [chosen, generated, 'wrongpass']) {
      for (const [where, text] of [
        ['GET node', shown.text],
        ['events API', events.text],
        ['event log', eventLog],
        ['daemon log', daemon.output()],
      ] as const) {
        t.false(text.includes(secret), `${where} contains a password`);
      }
    }
  },
);
