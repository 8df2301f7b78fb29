// Seed corpus for the JSON fuzz targets: the real inventories in test/fixtures (this build machine's
// IPA inventory, the lldpd capture as IPA `lldp` TLVs), the IPA/legacy shapes the hooks accept,
// and the rule examples of test/fixtures/fuzz/rules.json.
import { readFileSync } from 'node:fs';
import { ipaInventory } from '../../helpers/core-env.js';
import type { Json } from '../../helpers/fuzz.js';

const fixtures = new URL('../../../../test/fixtures/', import.meta.url);

function readJson(path: string): Json {
  return JSON.parse(readFileSync(new URL(path, fixtures), 'utf8')) as Json;
}

/** MACs of the corpus inventories, so nodes can be enrolled that the mutated posts will match. */
export const CORPUS_MACS = ['52:54:00:12:34:56', '52:54:00:aa:00:01', '02:00:00:00:c0:01'];

export function ruleCorpus(): Json[] {
  return readJson('fuzz/rules.json') as Json[];
}

export function inventoryCorpus(): Json[] {
  const machine = readJson('inventory/this-machine.json') as { [k: string]: Json };
  const lldp = readJson('pipeline/lldp-lldpd-veth.json') as { tlvs: Json };
  // This machine's inventory, its first interface renamed to a corpus MAC so lookups match.
  const mine = structuredClone(machine);
  const ifaces = (mine.inventory as { interfaces: Array<{ [k: string]: Json }> }).interfaces;
  if (ifaces[0]) {
    ifaces[0].mac_address = CORPUS_MACS[1]!;
    ifaces[0].lldp = lldp.tlvs;
  }
  mine.boot_interface = `01-${CORPUS_MACS[1]!.replace(/:/g, '-')}`;
  return [
    machine,
    mine,
    ipaInventory(CORPUS_MACS[0]!) as Json,
    ipaInventory(CORPUS_MACS[2]!, {
      error: null,
      logs: Buffer.from('ramdisk log').toString('base64'),
      root_disk: { name: '/dev/vda', size: 107374182400 },
      data: [
        ['cpu', 'logical', 'number', '4'],
        ['hpa', 'slot0', 'serial', 'X'],
      ],
    }) as Json,
    // The legacy discoverd flat format (legacy-format hook).
    {
      cpus: 2,
      cpu_arch: 'x86_64',
      memory_mb: 4096,
      local_gb: 20,
      ipmi_address: '198.18.1.9',
      interfaces: { eth0: { mac: CORPUS_MACS[0]!, ip: '198.18.0.50' } },
    },
    // A ramdisk that reports its own failure.
    {
      error: 'the ramdisk could not collect disks',
      inventory: { interfaces: [] },
      boot_interface: CORPUS_MACS[2]!,
    },
  ];
}
