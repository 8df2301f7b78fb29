// scheduler: cpus, cpu_arch, memory_mb (and local_gb from root_disk_selection) → node
// properties, subject to overwrite_existing; missing values only warn (reference §5).
import { asRecord, updateProperties, type ProcessingHook } from '../hook.js';

export const schedulerHook: ProcessingHook = {
  name: 'scheduler',
  async beforeUpdate(data, context) {
    const inventory = asRecord(data.inventory);
    const cpu = asRecord(inventory.cpu);
    const memory = asRecord(inventory.memory);
    const values: Record<string, unknown> = {};
    const cpus = Number(cpu.count);
    if (Number.isInteger(cpus) && cpus > 0) values.cpus = String(cpus);
    if (typeof cpu.architecture === 'string' && cpu.architecture !== '') values.cpu_arch = cpu.architecture;
    const memoryMb = Number(memory.physical_mb);
    if (Number.isFinite(memoryMb) && memoryMb > 0) values.memory_mb = String(Math.trunc(memoryMb));
    if (data.local_gb !== undefined && data.local_gb !== null) values.local_gb = String(data.local_gb);
    const missing = ['cpus', 'cpu_arch', 'memory_mb'].filter((k) => values[k] === undefined);
    if (missing.length > 0)
      context.log.warn({ missing }, 'some scheduling properties are missing from the inventory');
    for (const key of ['cpus', 'cpu_arch', 'memory_mb', 'local_gb']) {
      if (values[key] !== undefined) data[key] = key === 'cpu_arch' ? values[key] : Number(values[key]);
    }
    await updateProperties(context, values);
  },
};
