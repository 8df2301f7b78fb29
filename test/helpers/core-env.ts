// A wired IntrospectionService over in-memory fakes, for unit tests of core and pipeline.
import { CallbackTokens, type CallbackTokenSettings } from '../../src/core/callback-tokens.js';
import {
  IntrospectionService,
  type IntrospectionSettings,
  type RuleRunner,
} from '../../src/core/introspection.js';
import { LocalNodeRepository } from '../../src/core/node-repository.js';
import { silentLog } from '../../src/core/log.js';
import { HookPipeline } from '../../src/pipeline/runner.js';
import { hookRegistry } from '../../src/pipeline/registry.js';
import { DEFAULT_PROCESSING_HOOKS } from '../../src/config/schema.js';
import type { PipelineSettings } from '../../src/pipeline/hook.js';
import type { PowerControl } from '../../src/core/power.js';
import { MemoryBlobStore, MemoryEventLog, MemoryStateStore } from './memory.js';

export class FakeClock {
  constructor(public ms = Date.parse('2026-11-21T10:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const defaultPipelineSettings: PipelineSettings = {
  addPorts: 'pxe',
  keepPorts: 'all',
  overwriteExisting: true,
  updatePxeEnabled: true,
  diskPartitioningSpacing: true,
  capabilitiesBootMode: false,
  cpuFlags: {
    vmx: 'cpu_vt',
    svm: 'cpu_vt',
    aes: 'cpu_aes',
    pse: 'cpu_hugepages',
    pdpe1gb: 'cpu_hugepages_1g',
    smx: 'cpu_txt',
  },
  pciAliases: [],
};

export const defaultSettings: IntrospectionSettings = {
  timeout: 3600,
  canManageBoot: true,
  storeData: true,
  introspectionDelay: 0,
  powerOff: true,
  permitActiveIntrospection: false,
  ipmiAddressFields: ['redfish_address'],
  ramdiskLogsDir: '/logs',
  alwaysStoreRamdiskLogs: false,
  ramdiskLogsFilenameFormat: '{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz',
  ipmiPasswordMaxLength: 20,
  allowNonAlnumIpmiPassword: false,
};

export function coreEnv(
  overrides: {
    settings?: Partial<IntrospectionSettings>;
    pipeline?: Partial<PipelineSettings>;
    hooks?: string[];
    power?: PowerControl;
    /** Enables one-time callback tokens with these settings. */
    tokens?: Partial<CallbackTokenSettings>;
    /** Pacing sleep; receives the env's FakeClock (e.g. advance it instead of waiting). */
    sleep?: (ms: number, clock: FakeClock) => Promise<void>;
    /** The rules runner, built on the env's parts (e.g. createRuleRunner). */
    rules?: (parts: {
      store: MemoryStateStore;
      nodes: LocalNodeRepository;
      events: MemoryEventLog;
      clock: FakeClock;
    }) => RuleRunner;
  } = {},
) {
  const store = new MemoryStateStore();
  const blobs = new MemoryBlobStore();
  const events = new MemoryEventLog();
  const clock = new FakeClock();
  const nodes = new LocalNodeRepository({ store, clock });
  const pipeline = new HookPipeline(
    { nodes, log: silentLog, events, settings: { ...defaultPipelineSettings, ...overrides.pipeline }, clock },
    overrides.hooks ?? [...DEFAULT_PROCESSING_HOOKS],
    hookRegistry(),
  );
  let filterChanges = 0;
  const tokens = overrides.tokens
    ? new CallbackTokens({
        store,
        clock,
        events,
        log: silentLog,
        settings: {
          mode: 'token_or_discovery',
          timeout: 3600,
          discoveryRatePerMinute: 60,
          ...overrides.tokens,
        },
      })
    : null;
  const service = new IntrospectionService({
    store,
    nodes,
    blobs,
    events,
    clock,
    log: silentLog,
    pipeline,
    settings: { ...defaultSettings, ...overrides.settings },
    power: overrides.power ?? null,
    callbackAuth: tokens,
    ...(overrides.rules ? { rules: overrides.rules({ store, nodes, events, clock }) } : {}),
    ...(overrides.sleep ? { sleep: (ms: number) => overrides.sleep!(ms, clock) } : {}),
    onFilterChange: () => {
      filterChanges += 1;
    },
  });
  return {
    store,
    blobs,
    events,
    clock,
    nodes,
    pipeline,
    service,
    tokens,
    filterChanges: () => filterChanges,
  };
}

/** A minimal IPA inventory for one machine. */
export function ipaInventory(mac: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inventory: {
      interfaces: [{ name: 'eth0', mac_address: mac, ipv4_address: '198.18.0.100', has_carrier: true }],
      cpu: {
        model_name: 'QEMU',
        count: 4,
        architecture: 'x86_64',
        flags: ['fpu', 'vmx', 'aes'],
        frequency: '2600',
      },
      memory: { total: 8 * 1024 ** 3, physical_mb: 8192 },
      disks: [
        { name: '/dev/sda', size: 10 * 1024 ** 3, model: 'HDD', serial: 'S1', rotational: true },
        { name: '/dev/vda', size: 100 * 1024 ** 3, model: 'VD', serial: 'S2', rotational: false },
      ],
      bmc_address: '198.18.1.1',
      boot: { current_boot_mode: 'bios', pxe_interface: mac },
    },
    boot_interface: `01-${mac.replace(/:/g, '-')}`,
    ...extra,
  };
}
