// Composition of `inspectord serve`: config → logger → store → services → API → periodic tasks.
// Together with main.ts this is the only place where subsystems meet.
import { readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { IntrospectionService } from './core/introspection.js';
import { CallbackTokens, type CallbackAuthMode } from './core/callback-tokens.js';
import { LocalNodeRepository } from './core/node-repository.js';
import { RuleBook, type RuleValidator } from './core/rule-book.js';
import type { EventSink } from './core/events.js';
import { buildApp } from './api/app.js';
import { HttpBasicAuth, noAuth, parseHtpasswd } from './api/auth.js';
import { HookPipeline } from './pipeline/runner.js';
import { hookRegistry, loadExternalHook } from './pipeline/registry.js';
import type { PipelineSettings, ProcessingHook } from './pipeline/hook.js';
import { parseCidrMap, type CidrMapping } from './pipeline/hook-logic/physnet-cidr-map.js';
import { parseKnownDevices, type KnownDevice } from './pipeline/hook-logic/accelerators.js';
import { FileStateStore } from './store/state.js';
import { FileBlobStore } from './store/blobs.js';
import { FileEventLog } from './store/event-log.js';
import { validateRule } from './rules/validate.js';
import { createRuleRunner } from './rules-runner.js';
import { IpmiClient } from './ipmi/client.js';
import { IpmiPowerControl } from './ipmi/power-control.js';
import { IpmiCredentials } from './ipmi/credentials.js';
import { DiscoveryService } from './discovery/enroll.js';
import { ReviewQueue } from './discovery/review.js';
import { ObservedBlobStore, driftRecorder } from './discovery/processed-observer.js';
import { RuleReplay } from './rules-replay.js';
import { GatedPowerControl } from './core/power-gate.js';
import { BmcCredentialRotation } from './bmc-credentials.js';

export interface Daemon {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly introspection: IntrospectionService;
  readonly events: FileEventLog;
  readonly store: FileStateStore;
  readonly callbackTokens: CallbackTokens;
  close(): Promise<void>;
}

export interface DaemonOptions {
  log?: Logger;
  clock?: Clock;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'inspectord' },
    redact: {
      paths: [
        'password',
        '*.password',
        'ipmi_password',
        '*.ipmi_password',
        '*.*.ipmi_password',
        'new_ipmi_password',
        '*.new_ipmi_password',
        'driver_info.ipmi_password',
        'authorization',
        'headers.authorization',
      ],
      censor: '******',
    },
  });
}

function pipelineSettings(config: Config): PipelineSettings {
  return {
    addPorts: config.processing.add_ports as PipelineSettings['addPorts'],
    keepPorts: config.processing.keep_ports as PipelineSettings['keepPorts'],
    overwriteExisting: config.processing.overwrite_existing,
    updatePxeEnabled: config.processing.update_pxe_enabled,
    diskPartitioningSpacing: config.processing.disk_partitioning_spacing,
    capabilitiesBootMode: config.capabilities.boot_mode,
    cpuFlags: JSON.parse(config.capabilities.cpu_flags) as Record<string, string>,
    pciAliases: config.pci_devices.alias.map((a) => JSON.parse(a) as PipelineSettings['pciAliases'][number]),
    extraHardwareStrict: config.extra_hardware.strict,
    cidrMap: cidrMapOf(config),
  };
}

/** [discovery] enroll_node_fields: a JSON object of node fields for enrolled nodes. */
function enrollNodeFields(config: Config): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.discovery.enroll_node_fields);
  } catch (error) {
    throw new Error(`[discovery] enroll_node_fields is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('[discovery] enroll_node_fields must be a JSON object');
  return parsed as Record<string, unknown>;
}

function cidrMapOf(config: Config): CidrMapping[] {
  const parsed = parseCidrMap(config.port_physnet.cidr_map);
  if (!parsed.ok) throw new Error(`[port_physnet] cidr_map: ${parsed.errors.join('; ')}`);
  return parsed.map;
}

/** [accelerators] known_devices: the YAML file, read and checked at start-up (undefined = built-in list). */
async function knownAcceleratorsOf(config: Config): Promise<KnownDevice[] | undefined> {
  const file = config.accelerators.known_devices;
  if (file === '') return undefined;
  const parsed = parseKnownDevices(await readFile(file, 'utf8'));
  if (!parsed.ok) throw new Error(`[accelerators] known_devices ${file}: ${parsed.error}`);
  return parsed.devices;
}

/** Expand `$default_processing_hooks` in the configured hook list. */
export function hookNames(config: Config): string[] {
  return config.processing.processing_hooks.flatMap((name) =>
    name === '$default_processing_hooks' ? [...config.processing.default_processing_hooks] : [name],
  );
}

export async function startDaemon(config: Config, options: DaemonOptions = {}): Promise<Daemon> {
  const log = options.log ?? createLogger(config.DEFAULT.log_level);
  const clock = options.clock ?? systemClock;
  const stateDir = config.DEFAULT.state_dir;

  const store = await FileStateStore.open({ log: log.child({ component: 'store' }), clock }, { stateDir });
  const fileBlobs = new FileBlobStore({ log: log.child({ component: 'blobs' }) }, { stateDir });
  const events = await FileEventLog.open({ log: log.child({ component: 'events' }), clock }, { stateDir });
  const sink: EventSink = events;
  const nodes = new LocalNodeRepository({ store, clock });
  const review = new ReviewQueue({ store, nodes, blobs: fileBlobs, events: sink, clock });
  const discovery = new DiscoveryService({
    store,
    nodes,
    events: sink,
    clock,
    log: log.child({ component: 'discovery' }),
    review,
    settings: {
      driver: config.discovery.enroll_node_driver,
      nodeFields: enrollNodeFields(config),
      bmcAddressVersions: config.discovery.enabled_bmc_address_version as ReadonlyArray<'4' | '6'>,
      ipmiAddressFields: config.DEFAULT.ipmi_address_fields,
    },
    isEnabled: () => store.doc.settings.discovery,
  });
  // Every new processed data: drift report against the previous one, chassis identity for merges.
  const blobs = new ObservedBlobStore(
    fileBlobs,
    [
      driftRecorder(sink),
      (uuid, _previous, current) => discovery.recordIdentity(uuid, current as Record<string, unknown>),
    ],
    log.child({ component: 'blobs' }),
  );

  const external: ProcessingHook[] = [];
  for (const entry of config.hooks.external) {
    const [name, path] = entry.split('=', 2);
    if (!name || !path) throw new Error(`[hooks] external: "${entry}" must be name=/path/to/module.js`);
    external.push(await loadExternalHook(name.trim(), path.trim()));
  }
  const pipeline = new HookPipeline(
    {
      nodes,
      log: log.child({ component: 'pipeline' }),
      events: sink,
      settings: { ...pipelineSettings(config), knownAccelerators: await knownAcceleratorsOf(config) },
      clock,
    },
    hookNames(config),
    hookRegistry(external),
  );

  const validator: RuleValidator = (body) => {
    const result = validateRule(body);
    return result.ok ? { ok: true, rule: result.rule } : { ok: false, errors: result.errors };
  };
  const rules = new RuleBook({ store, clock, validate: validator });

  if (store.doc.settings.discovery !== config.discovery.enabled && store.loadedFrom === 'none') {
    store.doc.settings.discovery = config.discovery.enabled;
  }

  const ramdiskLogsDir =
    config.processing.ramdisk_logs_dir === 'none'
      ? null
      : config.processing.ramdisk_logs_dir || join(stateDir, 'ramdisk-logs');

  let power: GatedPowerControl | null = null;
  let credentials: IpmiCredentials | null = null;
  if (config.ipmi.enabled) {
    const ipmiLog = log.child({ component: 'ipmi' });
    const client = new IpmiClient({
      log: ipmiLog,
      options: {
        retryTimeoutsMs: config.ipmi.retry_timeouts.map(Number),
        deadlineMs: config.ipmi.deadline,
        maxConcurrentSessions: config.ipmi.max_concurrent_sessions,
        keepAliveMs: config.ipmi.keep_alive,
        cipherSuite: config.ipmi.cipher_suite,
      },
    });
    // One gate for every power caller (introspection and REST): [ipmi] max_concurrent_power_ops.
    power = new GatedPowerControl(new IpmiPowerControl({ client, events: sink, log: ipmiLog }), {
      maxConcurrent: config.ipmi.max_concurrent_power_ops,
    });
    credentials = new IpmiCredentials({ client, events: sink, log: ipmiLog });
  }
  const verifyTries = config.ipmi.credential_verify_tries;
  const verifyIntervalMs = config.ipmi.credential_verify_interval * 1000;

  const callbackTokens = new CallbackTokens({
    store,
    clock,
    events: sink,
    log: log.child({ component: 'callback-auth' }),
    settings: {
      mode: config.processing.callback_auth as CallbackAuthMode,
      timeout: config.DEFAULT.timeout,
      discoveryRatePerMinute: config.processing.discovery_callback_rate,
    },
  });

  const introspection = new IntrospectionService({
    store,
    nodes,
    blobs,
    events: sink,
    clock,
    log: log.child({ component: 'introspection' }),
    pipeline,
    rules: createRuleRunner({ store, nodes, events: sink, clock }),
    callbackAuth: callbackTokens.mode === 'none' ? null : callbackTokens,
    notFoundHook: config.processing.node_not_found_hook === 'enroll' ? discovery : null,
    power,
    credentialVerifier: credentials
      ? {
          verify: (target) =>
            credentials.verifyCredentials(target, { tries: verifyTries, intervalMs: verifyIntervalMs }),
        }
      : null,
    settings: {
      timeout: config.DEFAULT.timeout,
      canManageBoot: config.DEFAULT.can_manage_boot,
      storeData: config.processing.store_data !== 'none',
      introspectionDelay: config.DEFAULT.introspection_delay,
      powerOff: config.processing.power_off,
      permitActiveIntrospection: config.DEFAULT.permit_active_introspection,
      ipmiAddressFields: config.DEFAULT.ipmi_address_fields,
      ramdiskLogsDir,
      alwaysStoreRamdiskLogs: config.processing.always_store_ramdisk_logs,
      ramdiskLogsFilenameFormat: config.processing.ramdisk_logs_filename_format,
      ipmiPasswordMaxLength: config.processing.ipmi_password_max_length,
      allowNonAlnumIpmiPassword: config.processing.allow_non_alnum_ipmi_password,
    },
    resolveHost: async (host) => (await lookup(host, { all: true })).map((a) => a.address),
  });

  if (config.processing.node_not_found_hook === 'enroll') {
    discovery.attach((data) => introspection.continue(data));
    review.setProcessor(discovery);
  }
  const ruleReplay = new RuleReplay({ store, nodes, blobs, events: sink, clock, locks: introspection.locks });
  const bmcCredentials = credentials
    ? new BmcCredentialRotation({
        nodes,
        introspection,
        credentials,
        events: sink,
        log: log.child({ component: 'bmc-credentials' }),
        settings: { allowNonAlnumPassword: config.processing.allow_non_alnum_ipmi_password },
      })
    : null;

  const recovered = await introspection.recover();
  if (recovered.length > 0)
    log.warn({ nodes: recovered }, 'recovered introspections interrupted by a restart');

  let auth = noAuth;
  if (config.DEFAULT.auth_strategy === 'http_basic') {
    const file = config.DEFAULT.http_basic_auth_user_file;
    const { users, problems } = parseHtpasswd(await readFile(file, 'utf8'));
    for (const problem of problems) log.warn({ file }, `htpasswd: ${problem}`);
    if (users.size === 0) throw new Error(`http_basic auth: no usable bcrypt users in ${file}`);
    auth = new HttpBasicAuth(users, clock);
  }

  const app = await buildApp(
    {
      log: log.child({ component: 'api' }),
      introspection,
      nodes,
      rules,
      events,
      auth,
      ruleReplay,
      review,
      power,
      bmcCredentials,
      discovery: {
        get: () => store.doc.settings.discovery,
        set: async (enabled) => {
          store.doc.settings.discovery = enabled;
          sink.emit({ type: 'node.discovery', message: `auto-discovery switched ${enabled ? 'on' : 'off'}` });
          await store.changed({ durable: true });
        },
      },
      settings: {
        apiMaxLimit: config.DEFAULT.api_max_limit,
        storeData: config.processing.store_data !== 'none',
      },
    },
    { bodyLimit: config.DEFAULT.max_body_size },
  );

  const address = await app.listen({ host: config.DEFAULT.listen_address, port: config.DEFAULT.listen_port });
  log.info({ address }, 'inspectord API listening');

  const timers: NodeJS.Timeout[] = [];
  if (config.DEFAULT.clean_up_period > 0) {
    timers.push(
      setInterval(() => {
        introspection
          .cleanUp()
          .catch((error: unknown) => log.error({ err: String(error) }, 'clean-up failed'));
      }, config.DEFAULT.clean_up_period * 1000),
    );
  }

  let closed = false;
  return {
    app,
    url: address,
    introspection,
    events,
    store,
    callbackTokens,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearInterval(timer);
      await app.close();
      await introspection.drain();
      await store.close();
      await events.close();
    },
  };
}
