// A BMC that never answers, at the daemon level: `inspectord serve` in one namespace, the BMC
// address in another whose nftables input drops every datagram. A managed introspection and a
// power call end within [ipmi] deadline with ERR_IPMI_UNREACHABLE (API and timeline), never a hang.
import test from 'ava';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import { Netns, link, requireTools } from '../../helpers/netns.js';

// Absolute: under npm, node_modules/.bin has an unrelated `nft` (@vercel/nft) first on PATH.
const NFT = '/usr/sbin/nft';
const DAEMON_IP = '198.18.93.1';
const BMC_IP = '198.18.93.2';
const DEADLINE_MS = 4000;
let daemonNs: Netns | undefined;
let bmcNs: Netns | undefined;
let daemon: DaemonHandle | undefined;

test.before(async () => {
  await requireTools('ip', NFT);
  daemonNs = await Netns.create('bmd');
  bmcNs = await Netns.create('bmb');
  await link(daemonNs, `${DAEMON_IP}/24`, bmcNs, `${BMC_IP}/24`);
  // The black hole: the address exists (ARP answers) but nothing ever comes back, not even ICMP.
  await bmcNs.exec(NFT, ['-f', '-'], {
    input: `table inet blackhole {
  chain input { type filter hook input priority 0; policy accept; meta l4proto udp counter drop; }
}\n`,
  });
  daemon = await startDaemon(
    {
      DEFAULT: { introspection_delay: 0, clean_up_period: 0 },
      ipmi: { retry_timeouts: '500,1000,1000', deadline: DEADLINE_MS },
    },
    { netns: daemonNs.name, listenAddress: DAEMON_IP },
  );
  const created = await api(daemon.url, 'POST', '/v1/nodes', {
    name: 'silent',
    driver_info: { ipmi_address: BMC_IP, ipmi_username: 'admin', ipmi_password: 'password' },
    ports: [{ address: '52:54:00:b0:00:01' }],
  });
  if (created.status !== 201) throw new Error(`node create: ${created.status} ${created.text}`);
});

test.after.always(async () => {
  await daemon?.cleanup();
  await bmcNs?.destroy();
  await daemonNs?.destroy();
});

function d(): DaemonHandle {
  if (!daemon) throw new Error('daemon did not start');
  return daemon;
}

async function droppedDatagrams(): Promise<number> {
  const out = await bmcNs!.exec(NFT, ['-j', 'list', 'table', 'inet', 'blackhole']);
  return Number(/"packets":\s*(\d+)/.exec(out)?.[1] ?? NaN);
}

type Events = { events: Array<{ type: string; message: string; data?: Record<string, unknown> }> };

test.serial(
  'a managed introspection against a silent BMC is refused within the deadline with ERR_IPMI_UNREACHABLE',
  async (t) => {
    const before = await droppedDatagrams();
    const started = Date.now();
    const answer = await api(d().url, 'POST', '/v1/introspection/silent?manage_boot=true');
    const elapsed = Date.now() - started;
    t.is(answer.status, 400, answer.text);
    t.regex(answer.text, /BMC 198\.18\.93\.2:623 is not answering/);
    t.true(elapsed < DEADLINE_MS + 1000, `took ${elapsed} ms`);
    // [ipmi] retry_timeouts has 3 entries: 3 tries in the IPMI 2.0 form, one in the 1.5 form.
    const sent = (await droppedDatagrams()) - before;
    t.true(sent >= 1 && sent <= 4, `${sent} datagrams`);
    // Refused at start: no introspection record is left half-open.
    t.is((await api(d().url, 'GET', '/v1/introspection/silent')).status, 404);
    const events = (await api(d().url, 'GET', '/v1/events?node=silent&type=ipmi.error&limit=100'))
      .json as Events;
    t.true(
      events.events.some((e) => e.data?.code === 'ERR_IPMI_UNREACHABLE' && /not answering/.test(e.message)),
      JSON.stringify(events),
    );
  },
);

test.serial(
  'a power call against a silent BMC ends within the deadline with ERR_IPMI_UNREACHABLE',
  async (t) => {
    const before = (
      (await api(d().url, 'GET', '/v1/events?node=silent&type=ipmi.error&limit=1000')).json as Events
    ).events.length;
    const started = Date.now();
    const answer = await api(d().url, 'PUT', '/v1/nodes/silent/states/power', { target: 'power on' });
    const elapsed = Date.now() - started;
    t.is(answer.status, 400, answer.text);
    t.regex(answer.text, /is not answering/);
    t.true(elapsed < DEADLINE_MS + 1000, `took ${elapsed} ms`);
    const events = (
      (await api(d().url, 'GET', '/v1/events?node=silent&type=ipmi.error&limit=1000')).json as Events
    ).events;
    t.is(events.length, before + 1);
    t.is(events.at(-1)?.data?.code, 'ERR_IPMI_UNREACHABLE');
    t.is((await api(d().url, 'GET', '/healthz')).status, 200);
  },
);
