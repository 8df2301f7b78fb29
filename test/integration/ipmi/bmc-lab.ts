// Test harness: ipmi_sim (Debian openipmi) as a real BMC inside a network namespace we create,
// reached from the test process over a veth pair with 198.18.x.y/30 addresses; ipmitool as the
// independent reader of the same BMC; a counting UDP relay; a chassis_control script with state files.
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, sh, uniqueId } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

export interface BmcLab {
  address: string;
  port: number;
  dir: string;
  /** The BMC's namespace (other peers, e.g. a daemon, may run in it). */
  ns: Netns;
  /** The root-namespace end of the veth pair. */
  hostAddress: string;
  ipmitool(args: string[], creds?: { username: string; password: string }): Promise<string>;
  chassisCalls(): Promise<string[]>;
  destroy(): Promise<void>;
}

// Keeps power and boot device in files, like a BMC's chassis; prints what ipmi_sim asks for.
const chassisScript = (dir: string) => `#!/bin/sh
# ipmi_sim chassis_control for tests: <mc> get|set <param> [value]...
d='${dir}'
op=$2; shift 2
echo "$op $*" >>"$d/chassis.log"
case "$op" in
  get) for p in "$@"; do
         case "$p" in
           power) echo "power:$(cat "$d/power" 2>/dev/null || echo 0)" ;;
           boot) echo "boot:$(cat "$d/boot" 2>/dev/null || echo default)" ;;
           *) exit 1 ;;
         esac
       done ;;
  set) while [ $# -gt 0 ]; do
         p=$1; v=\${2:-}; shift 2 2>/dev/null || shift $#
         case "$p" in
           power) echo "$v" >"$d/power" ;;
           reset) ;;
           shutdown) echo 0 >"$d/power" ;;
           boot) echo "$v" >"$d/boot" ;;
           identify) shift 1 2>/dev/null ;;
           *) exit 1 ;;
         esac
       done ;;
  check) exit 0 ;;
  *) exit 1 ;;
esac
exit 0
`;

export async function startBmcLab(): Promise<BmcLab> {
  const dir = await mkdtemp(join(tmpdir(), 'inspectord-ipmi-'));
  const ns = await Netns.create('ipm');
  const destroy = async () => {
    await ns.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A /30 on a veth between the root namespace (test process) and the BMC's namespace.
    const a = Math.floor(Math.random() * 256);
    const b = Math.floor(Math.random() * 64) * 4;
    const hostAddr = `198.18.${a}.${b + 1}`;
    const bmcAddr = `198.18.${a}.${b + 2}`;
    const id = uniqueId();
    const hostIf = `ih${id}`.slice(0, 15);
    const bmcIf = `ib${id}`.slice(0, 15);
    await sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', bmcIf, 'netns', ns.name]);
    await sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    await sh('ip', ['link', 'set', hostIf, 'up']);
    await ns.exec('ip', ['addr', 'add', `${bmcAddr}/30`, 'dev', bmcIf]);
    await ns.exec('ip', ['link', 'set', bmcIf, 'up']);

    const port = 623;
    await writeFile(join(dir, 'chassis.sh'), chassisScript(dir));
    await chmod(join(dir, 'chassis.sh'), 0o755);
    await writeFile(
      join(dir, 'lan.conf'),
      [
        'name "testbmc"',
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr ${bmcAddr} ${port}`,
        '    priv_limit admin',
        '    allowed_auths_callback none md2 md5 straight',
        '    allowed_auths_user none md2 md5 straight',
        '    allowed_auths_operator none md2 md5 straight',
        '    allowed_auths_admin none md2 md5 straight',
        '    guid a123456789abcdefa123456789abcdef',
        '  endlan',
        `  chassis_control "${join(dir, 'chassis.sh')} 0x20"`,
        '  user 1 false "" "" user 10 none md2 md5 straight',
        '  user 2 true "admin" "password" admin 10 none md2 md5 straight',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'sim.emu'),
      [
        'mc_setbmc 0x20',
        'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr',
        'mc_enable 0x20',
        '',
      ].join('\n'),
    );
    await sh('mkdir', ['-p', join(dir, 'state')]);
    const child = ns.spawn(
      'ipmi_sim',
      ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'state'), '-n'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));

    const ipmitool = (args: string[], creds = { username: 'admin', password: 'password' }) =>
      sh('ipmitool', [
        '-I',
        'lanplus',
        '-C',
        '3',
        '-N',
        '1',
        '-R',
        '2',
        '-H',
        bmcAddr,
        '-p',
        String(port),
        '-U',
        creds.username,
        '-P',
        creds.password,
        ...args,
      ]);

    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`ipmi_sim exited ${child.exitCode}: ${stderr}`);
        return (await ipmitool(['mc', 'info'])).includes('Device ID');
      },
      'ipmi_sim to answer ipmitool mc info',
      15_000,
      200,
    );
    return {
      address: bmcAddr,
      port,
      dir,
      ns,
      hostAddress: hostAddr,
      ipmitool,
      chassisCalls: async () =>
        (await readFile(join(dir, 'chassis.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** A UDP relay on 127.0.0.1 that counts datagrams each way (one client at a time). */
export async function startRelay(
  upstream: { address: string; port: number },
  fromBmc: (datagram: Buffer) => Buffer = (d) => d,
) {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const counts = { toBmc: 0, fromBmc: 0 };
  let client: { address: string; port: number } | undefined;
  front.on('message', (msg, rinfo) => {
    counts.toBmc += 1;
    client = { address: rinfo.address, port: rinfo.port };
    back.send(msg, upstream.port, upstream.address);
  });
  back.on('message', (msg) => {
    counts.fromBmc += 1;
    if (client) front.send(fromBmc(msg), client.port, client.address);
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => back.bind(0, resolve));
  return {
    port: front.address().port,
    counts,
    close: () => {
      front.close();
      back.close();
    },
  };
}

/** Makes an RMCP+-capable BMC look IPMI 1.5-only: clears the v2.0 bit in auth caps responses. */
export function hideRmcpPlus(datagram: Buffer): Buffer {
  // IPMI 1.5 header without AuthCode: message at 14; response data starts at msg[7] (after CC).
  if (datagram.length < 22 || datagram[4] !== 0x00 || datagram[14 + 5] !== 0x38) return datagram;
  const out = Buffer.from(datagram);
  const msg = out.subarray(14);
  msg[8] = msg[8]! & 0x7f;
  let sum = 0;
  for (let i = 3; i < msg.length - 1; i++) sum = (sum + msg[i]!) & 0xff;
  msg[msg.length - 1] = (0x100 - sum) & 0xff;
  return out;
}
