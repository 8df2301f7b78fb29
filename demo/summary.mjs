// Prints what inspectord learned about the demo node (properties, inventory, ports, boot timeline)
// from its API, and optionally writes a machine-readable summary for the end-to-end test.
//   node demo/summary.mjs --api URL --node NAME [--summary FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { api: { type: 'string' }, node: { type: 'string' }, summary: { type: 'string' } },
});
const api = values.api;
const headers = { 'X-OpenStack-Ironic-Inspector-API-Version': '1.18' };

async function get(path) {
  const response = await fetch(`${api}${path}`, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${body?.error?.message ?? ''}`);
  return body;
}

const gib = (bytes) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const node = await get(`/v1/nodes/${encodeURIComponent(values.node)}`);
const status = await get(`/v1/introspection/${node.uuid}`);
const ports = (await get(`/v1/nodes/${node.uuid}/ports`)).ports ?? [];
let data = null;
try {
  data = await get(`/v1/introspection/${node.uuid}/data`);
} catch (error) {
  console.log(`(no stored data: ${error.message})`);
}
// The node's own events plus those of its MACs: DHCP/TFTP/HTTP happen before the MAC is known to
// belong to a node enrolled by BMC address only.
const bySeq = new Map();
for (const query of [`node=${node.uuid}`, ...ports.map((p) => `mac=${p.address}`)]) {
  for (const e of (await get(`/v1/events?${query}&limit=1000`)).events ?? []) bySeq.set(e.seq, e);
}
const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);

const inv = data?.inventory ?? {};
const sys = inv.system_vendor ?? {};
console.log(`Node ${node.name ?? ''} ${node.uuid}`);
console.log(`  introspection: ${status.state}${status.error ? ` — ${status.error}` : ''}`);
console.log(`  properties:    ${JSON.stringify(node.properties ?? {})}`);
if (data) {
  console.log(
    `  system:        ${sys.manufacturer ?? '?'} ${sys.product_name ?? '?'}, serial ${sys.serial_number ?? '?'}`,
  );
  console.log(
    `  cpu:           ${inv.cpu?.count ?? '?'} × ${inv.cpu?.model_name ?? '?'} (${inv.cpu?.architecture ?? '?'})`,
  );
  console.log(`  memory:        ${inv.memory?.physical_mb ?? '?'} MiB`);
  for (const d of inv.disks ?? []) {
    console.log(
      `  disk:          ${d.name} ${gib(d.size)} ${d.model ?? ''} serial ${d.serial ?? '?'}${d.rotational ? ' (rotational)' : ''}`,
    );
  }
  for (const i of inv.interfaces ?? []) {
    console.log(`  nic:           ${i.name} ${i.mac_address} ${i.ipv4_address ?? ''} ${i.driver ?? ''}`);
  }
  console.log(`  bmc:           ${inv.bmc_address ?? '?'} (MAC ${inv.bmc_mac ?? '?'})`);
  console.log(`  boot:          ${inv.boot?.current_boot_mode ?? '?'} via ${inv.boot?.pxe_interface ?? '?'}`);
  if (data.root_disk) console.log(`  root disk:     ${data.root_disk.name} (${gib(data.root_disk.size)})`);
}
for (const p of ports) console.log(`  port:          ${p.address} pxe_enabled=${p.pxe_enabled}`);
console.log('Boot timeline:');
const t0 = events.length ? Date.parse(events[0].ts) : 0;
for (const e of events) {
  const dt = ((Date.parse(e.ts) - t0) / 1000).toFixed(1).padStart(6);
  console.log(`  +${dt}s ${e.type.padEnd(26)} ${e.mac ?? ''.padEnd(0)} ${e.message}`);
}

if (values.summary) {
  writeFileSync(
    values.summary,
    JSON.stringify(
      {
        uuid: node.uuid,
        state: status.state,
        error: status.error,
        finished: status.finished,
        serial: sys.serial_number ?? null,
        disks: (inv.disks ?? []).map((d) => ({ name: d.name, size: d.size, serial: d.serial ?? null })),
        macs: (inv.interfaces ?? []).map((i) => i.mac_address),
        bmc_address: inv.bmc_address ?? null,
        ports: ports.map((p) => p.address),
        driver_info: node.driver_info ?? {},
        event_types: events.map((e) => e.type),
      },
      null,
      2,
    ),
  );
}
