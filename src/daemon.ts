// Composition of `inspectord serve`: config → logger → store → services → API → periodic tasks.
// Together with main.ts this is the only place where subsystems meet.
import { access, constants as fsConstants, readFile, stat } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { IntrospectionService, type IntrospectionSettings } from './core/introspection.js';
import { CallbackTokens, type CallbackAuthMode, type CallbackTokenSettings } from './core/callback-tokens.js';
import { LocalNodeRepository } from './core/node-repository.js';
import type { RuleValidator } from './core/rule-book.js';
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
import { ProcessedObserver, driftRecorder } from './discovery/processed-observer.js';
import { RuleReplay } from './rules-replay.js';
import { GatedPowerControl } from './core/power-gate.js';
import { BmcCredentialRotation } from './bmc-credentials.js';
import type { AuthCheck } from './api/deps.js';
import type { ProcessingPipeline } from './core/introspection.js';
import { PromMetrics } from './metrics/registry.js';
import { defineInspectordMetrics, type InspectordMetrics } from './metrics/families.js';
import {
  collectIntrospectionStates,
  instrumentCredentialVerifier,
  instrumentHook,
  instrumentPowerControl,
  instrumentRuleRunner,
  tapEvents,
} from './metrics/instrument.js';
import { registerMetricsRoutes } from './metrics/http.js';
import { checkHealth, type HealthProbe } from './metrics/health.js';
import { changedOptions, planReload, type ConfigSections } from './ops/config-diff.js';
import { secretFileProblem } from './ops/file-permissions.js';
import { Netboot, NotifyingNodeRepository, bootBaseUrl, LIVE_NETBOOT_OPTIONS } from './netboot.js';
import { FileAwareRuleBook, RulesFileSync, type RulesFileResult } from './rules-file.js';
import { registerExplainRoute, type ExplainDeps } from './explain.js';
import { registerSupportBundleRoutes } from './support-bundle.js';
import { filterHealthProbe, registerNetbootMetrics } from './metrics-netboot.js';

export interface Daemon {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly introspection: IntrospectionService;
  readonly events: FileEventLog;
  readonly store: FileStateStore;
  readonly callbackTokens: CallbackTokens;
  /** DHCP/TFTP/HTTP boot and the PXE filter ([dhcp], [tftp], [http_boot], [pxe_filter]). */
  readonly netboot: Netboot;
  /** The daemon's metric registry (GET /metrics); netboot glue registers its families here. */
  readonly metrics: PromMetrics;
  readonly families: InspectordMetrics;
  /** Apply what can change live from a reloaded config; report the rest (SIGHUP). */
  reload(config: Config): Promise<ReloadResult>;
  /** Stop accepting work, let in-flight requests and background tasks finish for at most
   *  `[DEFAULT] shutdown_timeout` (or `timeoutMs`), then flush state and close. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

export interface ReloadResult {
  /** `section.option` applied now. */
  applied: string[];
  /** `section.option` changed in the file but kept at the running value until a restart. */
  restartRequired: string[];
  /** Parts that could not be applied (the running value is kept), one line each. */
  errors: string[];
  /** What the [rules] rules_file sync changed (absent when no rules file is configured or it failed). */
  rules?: RulesFileResult;
}

export interface DaemonOptions {
  log?: Logger;
  clock?: Clock;
  /** The config file and the secret options set in it, for the start-up permission check. */
  configFile?: { path: string; secrets: readonly string[] };
}

/**
 * Options reload applies live (`section.*` = the whole section). Everything else is reported as
 * needing a restart: listeners, state_dir, body limit, the IPMI client, external hook modules.
 */
export const LIVE_OPTIONS: ReadonlySet<string> = new Set([
  'DEFAULT.log_level',
  'DEFAULT.timeout',
  'DEFAULT.clean_up_period',
  'DEFAULT.api_max_limit',
  'DEFAULT.can_manage_boot',
  'DEFAULT.introspection_delay',
  'DEFAULT.permit_active_introspection',
  'DEFAULT.ipmi_address_fields',
  'DEFAULT.auth_strategy',
  'DEFAULT.http_basic_auth_user_file',
  'DEFAULT.shutdown_timeout',
  'DEFAULT.metrics_auth',
  'processing.processing_hooks',
  'processing.default_processing_hooks',
  'processing.add_ports',
  'processing.keep_ports',
  'processing.overwrite_existing',
  'processing.update_pxe_enabled',
  'processing.store_data',
  'processing.ramdisk_logs_dir',
  'processing.always_store_ramdisk_logs',
  'processing.ramdisk_logs_filename_format',
  'processing.power_off',
  'processing.disk_partitioning_spacing',
  'processing.ipmi_password_max_length',
  'processing.allow_non_alnum_ipmi_password',
  'processing.callback_auth',
  'processing.discovery_callback_rate',
  'discovery.enabled',
  'capabilities.*',
  'pci_devices.*',
  'ipmi.credential_verify_tries',
  'ipmi.credential_verify_interval',
  // [dhcp] reply options: applied to the running DHCP server, sockets untouched (ADR 0011).
  ...LIVE_NETBOOT_OPTIONS,
  'rules.rules_file',
]);

function callbackTokenSettings(config: Config): CallbackTokenSettings {
  return {
    mode: config.processing.callback_auth as CallbackAuthMode,
    timeout: config.DEFAULT.timeout,
    discoveryRatePerMinute: config.processing.discovery_callback_rate,
  };
}

function introspectionSettings(config: Config): IntrospectionSettings {
  return {
    timeout: config.DEFAULT.timeout,
    canManageBoot: config.DEFAULT.can_manage_boot,
    storeData: config.processing.store_data !== 'none',
    introspectionDelay: config.DEFAULT.introspection_delay,
    powerOff: config.processing.power_off,
    permitActiveIntrospection: config.DEFAULT.permit_active_introspection,
    ipmiAddressFields: config.DEFAULT.ipmi_address_fields,
    ramdiskLogsDir:
      config.processing.ramdisk_logs_dir === 'none'
        ? null
        : config.processing.ramdisk_logs_dir || join(config.DEFAULT.state_dir, 'ramdisk-logs'),
    alwaysStoreRamdiskLogs: config.processing.always_store_ramdisk_logs,
    ramdiskLogsFilenameFormat: config.processing.ramdisk_logs_filename_format,
    ipmiPasswordMaxLength: config.processing.ipmi_password_max_length,
    allowNonAlnumIpmiPassword: config.processing.allow_non_alnum_ipmi_password,
  };
}

async function loadAuth(config: Config, clock: Clock, log: Logger): Promise<AuthCheck> {
  if (config.DEFAULT.auth_strategy !== 'http_basic') return noAuth;
  const file = config.DEFAULT.http_basic_auth_user_file;
  const { users, problems } = parseHtpasswd(await readFile(file, 'utf8'));
  for (const problem of problems) log.warn({ file }, `htpasswd: ${problem}`);
  if (users.size === 0) throw new Error(`http_basic auth: no usable bcrypt users in ${file}`);
  return new HttpBasicAuth(users, clock);
}

/** Warn (log + event) about secret-holding files other local users can read. */
async function checkSecretFiles(
  files: ReadonlyArray<{ path: string; secrets: readonly string[] }>,
  log: Logger,
  sink: EventSink,
): Promise<void> {
  for (const file of files) {
    if (file.secrets.length === 0) continue;
    let info;
    try {
      info = await stat(file.path);
    } catch {
      continue; // a missing file is reported by whoever reads it
    }
    const problem = secretFileProblem({
      path: file.path,
      mode: info.mode,
      gid: info.gid,
      secrets: file.secrets,
    });
    if (!problem) continue;
    log.warn({ file: file.path, mode: (info.mode & 0o777).toString(8) }, problem);
    sink.emit({ type: 'daemon.insecure_file', level: 'warn', message: problem, data: { file: file.path } });
  }
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
  const blobs = new FileBlobStore({ log: log.child({ component: 'blobs' }) }, { stateDir });
  const events = await FileEventLog.open({ log: log.child({ component: 'events' }), clock }, { stateDir });
  const metrics = new PromMetrics({
    processMetrics: true,
    onCollectError: (name, error) =>
      log.warn({ metric: name, err: String(error) }, 'metric collection failed'),
  });
  const families = defineInspectordMetrics(metrics);
  // Every event also moves its metrics (TFTP/HTTP transfers, filter syncs, events by area).
  const sink: EventSink = tapEvents(events, families);
  let current = config;
  // Node and port changes re-sync the PXE filter at once (not only every sync_period).
  const nodes = new NotifyingNodeRepository(new LocalNodeRepository({ store, clock }));
  let netboot: Netboot | null = null;
  const review = new ReviewQueue({ store, nodes, blobs, events: sink, clock });
  const discoveryService = new DiscoveryService({
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
  const processedObserver = new ProcessedObserver(
    blobs,
    [
      driftRecorder(sink),
      (uuid, _previous, data) => discoveryService.recordIdentity(uuid, data as Record<string, unknown>),
    ],
    log.child({ component: 'blobs' }),
  );

  const external: ProcessingHook[] = [];
  for (const entry of config.hooks.external) {
    const [name, path] = entry.split('=', 2);
    if (!name || !path) throw new Error(`[hooks] external: "${entry}" must be name=/path/to/module.js`);
    external.push(await loadExternalHook(name.trim(), path.trim()));
  }
  const registry = new Map(
    [...hookRegistry(external)].map(([name, hook]) => [name, instrumentHook(hook, families, clock)]),
  );
  const knownAccelerators = await knownAcceleratorsOf(config);
  const buildPipeline = (cfg: Config): HookPipeline =>
    new HookPipeline(
      {
        nodes,
        log: log.child({ component: 'pipeline' }),
        events: sink,
        settings: { ...pipelineSettings(cfg), knownAccelerators },
        clock,
      },
      hookNames(cfg),
      registry,
    );
  // Swapped by reload() (hook order, processing settings); a run in progress keeps its pipeline.
  let activePipeline = buildPipeline(config);
  const pipeline: ProcessingPipeline = {
    beforeProcessing: (data) => activePipeline.beforeProcessing(data),
    beforeUpdate: (data, context) => activePipeline.beforeUpdate(data, context),
  };

  const validator: RuleValidator = (body) => {
    const result = validateRule(body);
    return result.ok ? { ok: true, rule: result.rule } : { ok: false, errors: result.errors };
  };
  // File-sourced rules ([rules] rules_file, ADR 0011) are refused to DELETE through the API.
  const rules = new FileAwareRuleBook({
    store,
    clock,
    validate: validator,
    rulesFile: () => current.rules.rules_file,
  });
  const rulesFile = new RulesFileSync({ store, clock, events: sink });
  if (config.rules.rules_file !== '') {
    try {
      const synced = await rulesFile.sync(config.rules.rules_file);
      log.info({ ...synced }, 'rules file loaded');
    } catch (error) {
      // Refuse to start (main.ts: a coded error exits 78), with the state written back.
      await store.close();
      await events.close();
      throw error;
    }
  }

  if (store.doc.settings.discovery !== config.discovery.enabled && store.loadedFrom === 'none') {
    store.doc.settings.discovery = config.discovery.enabled;
  }

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
  const settings = introspectionSettings(config);
  const callbackTokens = new CallbackTokens({
    store,
    clock,
    events: sink,
    log: log.child({ component: 'callback-auth' }),
    settings: callbackTokenSettings(config),
  });
  const instrumentedPower = power ? instrumentPowerControl(power, families, clock) : null;

  const introspection = new IntrospectionService({
    store,
    nodes,
    blobs,
    events: sink,
    clock,
    log: log.child({ component: 'introspection' }),
    pipeline,
    rules: instrumentRuleRunner(createRuleRunner({ store, nodes, events: sink, clock }), families, clock),
    // Always wired: with callback_auth = none it lets everything through (and reload can switch it).
    callbackAuth: callbackTokens,
    notFoundHook: config.processing.node_not_found_hook === 'enroll' ? discoveryService : null,
    power: instrumentedPower,
    credentialVerifier: credentials
      ? instrumentCredentialVerifier(
          {
            // Read at call time: [ipmi] credential_verify_* reload live.
            verify: (target) =>
              credentials.verifyCredentials(target, {
                tries: current.ipmi.credential_verify_tries,
                intervalMs: current.ipmi.credential_verify_interval * 1000,
              }),
          },
          families,
          clock,
        )
      : null,
    // Mutated in place by reload(): the service reads its settings at use time.
    settings,
    resolveHost: async (host) => (await lookup(host, { all: true })).map((a) => a.address),
    onFilterChange: () => void netboot?.policyChanged(),
    onProcessed: (uuid, data) => processedObserver.processed(uuid, data),
  });

  if (config.processing.node_not_found_hook === 'enroll') {
    discoveryService.attach((data) => introspection.continue(data));
    review.setProcessor(discoveryService);
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
  netboot = new Netboot({
    config,
    log: log.child({ component: 'netboot' }),
    clock,
    events: sink,
    store,
    nodes,
    windows: introspection,
    discovery: () => store.doc.settings.discovery,
    // One-time callback token on the kernel command line of each rendered boot config (ADR 0008).
    tokenFor: (node, mac) =>
      node ? callbackTokens.mint(node.uuid, mac) : callbackTokens.mintForMacless(mac),
  });
  const boot = netboot;
  nodes.onChange(() => void boot.policyChanged());

  const recovered = await introspection.recover();
  if (recovered.length > 0)
    log.warn({ nodes: recovered }, 'recovered introspections interrupted by a restart');

  collectIntrospectionStates(metrics, () => store.doc.introspections);

  let activeAuth = await loadAuth(config, clock, log);
  const auth: AuthCheck = { check: (authorization) => activeAuth.check(authorization) };
  await checkSecretFiles(
    [
      ...(options.configFile ? [options.configFile] : []),
      ...(config.DEFAULT.auth_strategy === 'http_basic'
        ? [{ path: config.DEFAULT.http_basic_auth_user_file, secrets: ['password hashes'] }]
        : []),
    ],
    log,
    sink,
  );

  let ready = false;
  const healthProbes: HealthProbe[] = [
    {
      name: 'state_store',
      // EROFS/EACCES here is what a wrong ProtectSystem/StateDirectory or a full remount looks like.
      check: async () => {
        try {
          await access(stateDir, fsConstants.W_OK);
          return null;
        } catch (error) {
          return `state_dir ${stateDir} is not writable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
        }
      },
    },
  ];
  const discovery = {
    get: () => store.doc.settings.discovery,
    set: async (enabled: boolean) => {
      store.doc.settings.discovery = enabled;
      sink.emit({ type: 'node.discovery', message: `auto-discovery switched ${enabled ? 'on' : 'off'}` });
      await store.changed({ durable: true });
      void boot.policyChanged();
    },
  };
  const apiSettings = {
    apiMaxLimit: config.DEFAULT.api_max_limit,
    storeData: config.processing.store_data !== 'none',
  };

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
      power: instrumentedPower,
      bmcCredentials,
      discovery,
      settings: apiSettings,
      // The API listens before network boot starts (the URLs DHCP hands out must answer), so
      // until then /healthz says `starting`: readiness for systemd and for tests is "not starting".
      health: async () =>
        ready
          ? checkHealth(healthProbes)
          : { status: 'starting', reasons: ['startup: network boot (PXE filter, DHCP, TFTP) is not up yet'] },
    },
    {
      bodyLimit: config.DEFAULT.max_body_size,
      isPublic: (path) => path === '/metrics' && !current.DEFAULT.metrics_auth,
      register: async (instance) => {
        await registerMetricsRoutes(instance, { metrics, families });
        await boot.register(instance);
        // Explain boot (dry run) and support bundles: read-only views over netboot and the store.
        const explainDeps: ExplainDeps = {
          nodes,
          introspectionOf: (uuid) => introspection.record(uuid),
          baseUrl: bootBaseUrl(config),
        };
        registerExplainRoute(instance, { ...explainDeps, sources: () => boot.explainSources() });
        registerSupportBundleRoutes(instance, {
          ...explainDeps,
          sources: () => boot.explainSources(),
          events,
          getData: (uuid, kind) => blobs.getData(uuid, kind),
          filterReport: () => boot.filterReport(),
        });
      },
    },
  );

  const address = await app.listen({ host: config.DEFAULT.listen_address, port: config.DEFAULT.listen_port });
  log.info({ address }, 'inspectord API listening');
  try {
    // After the API listens (the boot URLs handed out by DHCP must answer), filter before DHCP.
    await boot.start();
  } catch (error) {
    await app.close();
    await introspection.drain();
    await store.close();
    await events.close();
    throw error;
  }
  registerNetbootMetrics(metrics, {
    ...(boot.dhcp ? { dhcp: boot.dhcp } : {}),
    ...(boot.tftp ? { tftp: boot.tftp } : {}),
    filter: boot.filter,
  });
  healthProbes.push(filterHealthProbe(boot.filter));
  ready = true;

  let cleanUpTimer: NodeJS.Timeout | null = null;
  const armCleanUp = (periodSeconds: number): void => {
    if (cleanUpTimer) clearInterval(cleanUpTimer);
    cleanUpTimer = null;
    if (periodSeconds <= 0) return;
    cleanUpTimer = setInterval(() => {
      introspection.cleanUp().catch((error: unknown) => log.error({ err: String(error) }, 'clean-up failed'));
    }, periodSeconds * 1000);
  };
  armCleanUp(config.DEFAULT.clean_up_period);

  const reload = async (next: Config): Promise<ReloadResult> => {
    const plan = planReload(
      changedOptions(current as unknown as ConfigSections, next as unknown as ConfigSections),
      LIVE_OPTIONS,
    );
    const errors: string[] = [];
    const failed = new Set<string>();
    // The pipeline first: a bad hook list keeps the running pipeline and its settings.
    try {
      activePipeline = buildPipeline(next);
    } catch (error) {
      errors.push(`processing hooks: ${(error as Error).message}`);
      for (const o of plan.live) if (/^(processing|capabilities|pci_devices)\./.test(o)) failed.add(o);
    }
    // Always re-read htpasswd: rotating a password needs no change in the config file.
    try {
      activeAuth = await loadAuth(next, clock, log);
    } catch (error) {
      errors.push(`auth: ${(error as Error).message}; the previous users stay valid`);
      failed.add('DEFAULT.auth_strategy').add('DEFAULT.http_basic_auth_user_file');
    }
    log.level = next.DEFAULT.log_level;
    Object.assign(settings, introspectionSettings(next));
    callbackTokens.configure(callbackTokenSettings(next));
    apiSettings.apiMaxLimit = next.DEFAULT.api_max_limit;
    apiSettings.storeData = next.processing.store_data !== 'none';
    if (next.DEFAULT.clean_up_period !== current.DEFAULT.clean_up_period)
      armCleanUp(next.DEFAULT.clean_up_period);
    // The file is the operator's switch: a changed [discovery] enabled wins over the API's last PUT.
    if (next.discovery.enabled !== current.discovery.enabled) await discovery.set(next.discovery.enabled);
    // [dhcp] range, lease time, boot files…: swapped into the running DHCP server (ADR 0011).
    const netbootReload = boot.reload(next);
    if (netbootReload.errors.length > 0) {
      errors.push(...netbootReload.errors);
      for (const o of plan.live) if (o.startsWith('dhcp.')) failed.add(o);
    }
    if (netbootReload.outsideRange.length > 0) {
      log.info(
        { leases: netbootReload.outsideRange },
        'dhcp: leases outside the new range are served until they end and not renewed',
      );
    }
    // The rules file is re-read on every reload, like htpasswd: editing it needs no config change.
    let rulesSynced: RulesFileResult | undefined;
    if (next.rules.rules_file !== '') {
      try {
        rulesSynced = await rulesFile.sync(next.rules.rules_file);
      } catch (error) {
        errors.push(`${(error as Error).message}; the stored rules stay as they were`);
        failed.add('rules.rules_file');
      }
    }
    // Restart-only options keep their running value, so the next diff still reports them.
    current = next;
    // A [dhcp] value that failed on an earlier reload is retried (and applied) by netboot itself.
    const applied = [
      ...plan.live.filter((o) => !failed.has(o)),
      ...netbootReload.applied.filter((o) => !plan.live.includes(o)),
    ];
    const result: ReloadResult = {
      applied,
      restartRequired: plan.restart,
      errors,
      ...(rulesSynced ? { rules: rulesSynced } : {}),
    };
    const rulesText = rulesSynced
      ? `; rules file: ${rulesSynced.created.length} created, ${rulesSynced.replaced.length} replaced, ${rulesSynced.deleted.length} deleted`
      : '';
    families.reloads.inc({
      result: errors.length > 0 ? 'error' : plan.restart.length > 0 ? 'restart_required' : 'applied',
    });
    const message =
      `configuration reloaded: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'nothing to apply'}` +
      rulesText +
      (plan.restart.length > 0 ? `; restart needed for ${plan.restart.join(', ')}` : '') +
      (errors.length > 0 ? `; not applied: ${errors.join('; ')}` : '');
    const level = errors.length > 0 ? 'error' : plan.restart.length > 0 ? 'warn' : 'info';
    log[level]({ applied, restartRequired: plan.restart, errors }, message);
    sink.emit({ type: 'daemon.reload', level, message, data: { ...result } });
    return result;
  };

  let closed = false;
  return {
    app,
    url: address,
    introspection,
    events,
    store,
    callbackTokens,
    netboot: boot,
    metrics,
    families,
    reload,
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      if (cleanUpTimer) clearInterval(cleanUpTimer);
      // Network boot first, in reverse order of start: TFTP, DHCP, the filter (table deleted).
      await boot.close();
      const timeoutMs = closeOptions.timeoutMs ?? current.DEFAULT.shutdown_timeout * 1000;
      // fastify's close stops accepting (new requests get 503), closes idle keep-alive
      // connections and waits for in-flight requests; then background tasks (power-off …).
      const drained = (async () => {
        await app.close();
        await introspection.drain();
      })().catch((error: unknown) => log.error({ err: String(error) }, 'error while draining'));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        const message = `shutdown: in-flight work did not finish within ${timeoutMs} ms; cutting connections`;
        log.warn({ timeoutMs }, message);
        sink.emit({ type: 'daemon.shutdown', level: 'warn', message });
        app.server.closeAllConnections();
      } else {
        sink.emit({ type: 'daemon.shutdown', message: 'shutdown: in-flight work finished; state flushed' });
      }
      // Whatever finished (or not), what is in memory goes to disk.
      await store.close();
      await events.close();
    },
  };
}
