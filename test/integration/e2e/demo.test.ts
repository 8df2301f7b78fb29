// End to end, as README command one does it: scripts/demo.sh builds the ramdisk, creates the lab
// (namespace, bridge, tap, ipmi_sim as the BMC of a qemu node), runs `inspectord serve` with its
// own DHCP/TFTP/HTTP boot and nftables filter, enrols the node by BMC address and introspects it
// with IPMI power control, then tears everything down. qemu runs under TCG: minutes, not seconds.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools } from '../../helpers/netns.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const NS = `inspd-e2e-${process.pid}`;

function namespaces(): Promise<string> {
  return new Promise((resolve) => execFile('ip', ['netns', 'list'], (_e, out) => resolve(String(out))));
}

test('demo: IPMI power on → PXE → ramdisk → callback → inventory, and nothing left behind', async (t) => {
  t.timeout(20 * 60_000);
  await requireTools('qemu-system-x86_64', 'ipmi_sim', 'ipmitool', 'curl', 'cpio');
  const work = await mkdtemp(join(tmpdir(), 'inspectord-e2e-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const summaryFile = join(work, 'summary.json');
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('bash', [join(ROOT, 'scripts/demo.sh'), '--no-setup', '--summary', summaryFile], {
      cwd: ROOT,
      env: { ...process.env, DEMO_NS: NS, DEMO_WORK: work, DEMO_TIMEOUT: '600' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', resolve);
  });
  t.is(code, 0, output.slice(-6000));
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
    state: string;
    error: string | null;
    serial: string;
    disks: Array<{ name: string; serial: string | null }>;
    macs: string[];
    bmc_address: string;
    ports: string[];
    event_types: string[];
  };
  t.is(summary.state, 'finished');
  t.is(summary.error, null);
  t.is(summary.serial, 'INSPD-DEMO-0001');
  t.deepEqual(summary.disks.map((d) => d.serial).sort(), ['INSPD-HDD0', 'INSPD-VD1']);
  t.true(summary.macs.includes('52:54:00:19:81:01'));
  t.is(summary.bmc_address, '198.18.1.1');
  t.true(summary.ports.includes('52:54:00:19:81:01'));
  for (const type of [
    'ipmi.power',
    'dhcp.ack',
    'callback.token_minted',
    'callback.received',
    'introspection.finished',
  ]) {
    t.true(summary.event_types.includes(type), `timeline has ${type}: ${summary.event_types.join(' ')}`);
  }
  t.false(summary.event_types.includes('callback.refused'));
  // Torn down: no namespace (and with it no nft table, tap or bridge), no recorded process alive.
  t.false((await namespaces()).split('\n').some((line) => line.split(' ')[0] === NS));
  for (const pidfile of ['inspectord.pid', 'qemu.pid', 'ipmi_sim.pid']) {
    t.false(existsSync(join(work, 'run', pidfile)), `${pidfile} removed`);
  }
  // Every process the demo started (it records them in run/started.pids) is gone.
  const started = (await readFile(join(work, 'run', 'started.pids'), 'utf8')).trim().split('\n');
  t.true(
    started.some((line) => line.startsWith('inspectord ')) && started.some((l) => l.startsWith('qemu ')),
  );
  for (const line of started) {
    const pid = line.split(' ')[1]!;
    let stat = '';
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      stat = ''; // gone
    }
    t.true(stat === '' || /^\d+ \(.*\) Z/.test(stat), `${line} is still running`);
  }
});
