// Converts the legacy discoverd flat format (cpus, cpu_arch, memory_mb, interfaces {name:{mac,
// ip}}, ipmi_address, local_gb) into the IPA inventory shape so every hook sees one format.
// Runs first, implicitly (it is not a configurable hook).
import type { IntrospectionData } from '../../core/lookup.js';
import { asRecord } from '../hook.js';

export function normalizeLegacyFormat(data: IntrospectionData): void {
  if (data.inventory !== undefined) return;
  const legacyInterfaces = asRecord(data.interfaces);
  const hasLegacy = ['cpus', 'cpu_arch', 'memory_mb', 'local_gb', 'interfaces', 'ipmi_address'].some(
    (k) => data[k] !== undefined,
  );
  if (!hasLegacy) return;
  const interfaces = Object.entries(legacyInterfaces).map(([name, value]) => {
    const v = asRecord(value);
    return {
      name,
      mac_address: v.mac ?? null,
      ipv4_address: typeof v.ip === 'string' && v.ip !== '' ? v.ip : null,
    };
  });
  data.inventory = {
    cpu: { count: data.cpus, architecture: data.cpu_arch },
    memory: { physical_mb: data.memory_mb },
    interfaces,
    bmc_address: data.ipmi_address ?? null,
    disks: [],
  };
  data.legacy_format = true;
}
