// The one configuration schema: every option with type, default, unit and help. The INI loader,
// `inspector.conf.example` and `docs/config.md` are all derived from it (a test checks drift).
// Names follow ironic-inspector's where the meaning is the same.

interface Base<T> {
  default: T;
  help: string;
  unit?: string;
  /** Value must never be logged or shown (e.g. passwords). */
  secret?: boolean;
}
export interface StringOption extends Base<string> {
  type: 'string';
  choices?: readonly string[];
}
export interface IntOption extends Base<number> {
  type: 'int';
  min?: number;
  max?: number;
}
export interface FloatOption extends Base<number> {
  type: 'float';
  min?: number;
  max?: number;
}
export interface BoolOption extends Base<boolean> {
  type: 'bool';
}
export interface ListOption extends Base<readonly string[]> {
  type: 'list';
  choices?: readonly string[];
}
export type OptionSpec = StringOption | IntOption | FloatOption | BoolOption | ListOption;

const str = (def: string, help: string, extra: Partial<StringOption> = {}): StringOption => ({
  type: 'string',
  default: def,
  help,
  ...extra,
});
const int = (def: number, help: string, extra: Partial<IntOption> = {}): IntOption => ({
  type: 'int',
  default: def,
  help,
  ...extra,
});
const flt = (def: number, help: string, extra: Partial<FloatOption> = {}): FloatOption => ({
  type: 'float',
  default: def,
  help,
  ...extra,
});
const bool = (def: boolean, help: string): BoolOption => ({ type: 'bool', default: def, help });
const list = (def: readonly string[], help: string, extra: Partial<ListOption> = {}): ListOption => ({
  type: 'list',
  default: def,
  help,
  ...extra,
});

export const DEFAULT_PROCESSING_HOOKS = [
  'ramdisk_error',
  'root_disk_selection',
  'scheduler',
  'validate_interfaces',
  'capabilities',
  'pci_devices',
] as const;

export const schema = {
  DEFAULT: {
    listen_address: str('0.0.0.0', 'IP address the HTTP API (and HTTP boot) listens on.'),
    listen_port: int(5050, 'TCP port of the HTTP API.', { min: 1, max: 65535 }),
    public_url: str(
      '',
      'Base URL nodes and clients use to reach the API, e.g. http://198.18.0.1:5050. Empty: derived from listen_address/listen_port (or the provisioning address when listening on all addresses).',
    ),
    state_dir: str(
      '/var/lib/inspectord',
      'Directory holding everything the daemon persists (state, data, events).',
    ),
    log_level: str('info', 'Log level.', { choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] }),
    auth_strategy: str('noauth', 'API authentication: noauth or http_basic (keystone is not supported).', {
      choices: ['noauth', 'http_basic'],
    }),
    http_basic_auth_user_file: str(
      '/etc/inspectord/htpasswd',
      'Apache htpasswd file with bcrypt entries, used when auth_strategy = http_basic.',
    ),
    timeout: int(3600, 'Introspection timeout, measured from the start; 0 disables.', { unit: 's', min: 0 }),
    clean_up_period: int(60, 'Period of the timeout clean-up task; 0 disables it.', { unit: 's', min: 0 }),
    api_max_limit: int(1000, 'Maximum number of items returned by a list request.', { min: 1 }),
    max_body_size: int(32 * 1024 * 1024, 'Largest accepted request body (ramdisk inventories included).', {
      unit: 'bytes',
      min: 1024,
    }),
    can_manage_boot: bool(true, 'Whether this service may manage power and boot devices (manage_boot=true).'),
    introspection_delay: flt(5, 'Minimum delay between two power-on actions of managed introspections.', {
      unit: 's',
      min: 0,
    }),
    permit_active_introspection: bool(false, 'Allow introspection of nodes in provision state active.'),
    ipmi_address_fields: list(
      ['redfish_address', 'ilo_address', 'drac_host', 'drac_address', 'ibmc_address'],
      'driver_info fields tried (after ipmi_address) to find a node BMC address for lookup.',
    ),
    shutdown_timeout: int(
      30,
      'On SIGTERM, how long in-flight API requests, callbacks and background tasks may take to finish before connections are cut; state is flushed either way.',
      { unit: 's', min: 1 },
    ),
    metrics_auth: bool(
      true,
      'Whether GET /metrics follows auth_strategy; false serves it without authentication (bind the API to a trusted network then).',
    ),
  },
  processing: {
    processing_hooks: list(['$default_processing_hooks'], 'Processing hooks to run, in order.'),
    default_processing_hooks: list(
      [...DEFAULT_PROCESSING_HOOKS],
      'The hooks `$default_processing_hooks` means.',
    ),
    add_ports: str('pxe', 'Which interfaces get ports: all, active, pxe or disabled.', {
      choices: ['all', 'active', 'pxe', 'disabled'],
    }),
    keep_ports: str('all', 'Which existing ports to keep: all, present or added.', {
      choices: ['all', 'present', 'added'],
    }),
    overwrite_existing: bool(true, 'Whether to overwrite properties already set on the node.'),
    update_pxe_enabled: bool(true, 'Whether to update pxe_enabled of ports from the boot interface.'),
    store_data: str('database', 'Where to store introspection data: database (local files) or none.', {
      choices: ['none', 'database'],
    }),
    ramdisk_logs_dir: str('', 'Where to store ramdisk logs. Empty: <state_dir>/ramdisk-logs; "none": never.'),
    always_store_ramdisk_logs: bool(false, 'Store ramdisk logs also when introspection succeeds.'),
    ramdisk_logs_filename_format: str(
      '{uuid}_{dt:%Y%m%d-%H%M%S.%f}.tar.gz',
      'File name of stored ramdisk logs; {uuid}, {mac}, {bmc} and {dt:strftime} are replaced.',
    ),
    node_not_found_hook: str('', 'Hook run when no node matches a ramdisk post: empty or enroll.', {
      choices: ['', 'enroll'],
    }),
    power_off: bool(true, 'Power the node off after a managed introspection.'),
    callback_auth: str(
      'token_or_discovery',
      'How /v1/continue is authenticated (ADR 0008). token: every callback needs the one-time token ' +
        'inspectord puts on the kernel command line when it renders the boot config; ' +
        'token_or_discovery: the same, but a machine that matches no node under introspection may post ' +
        'without a token (auto-discovery), rate-limited by discovery_callback_rate; none: no check ' +
        '(ironic-inspector behaviour; use when ramdisks boot from configs inspectord did not render).',
      { choices: ['token', 'token_or_discovery', 'none'] },
    ),
    discovery_callback_rate: int(
      60,
      'Tokenless (discovery) callbacks accepted per minute; excess gets 503.',
      {
        min: 0,
        unit: 'per minute',
      },
    ),
    disk_partitioning_spacing: bool(true, 'Subtract 1 GiB from local_gb for partitioning.'),
    ipmi_password_max_length: int(
      20,
      'Longest new BMC password accepted when setting credentials (20 is the IPMI limit; longer needs BMC support).',
      { min: 1, max: 64 },
    ),
    allow_non_alnum_ipmi_password: bool(
      false,
      'Accept characters other than ASCII letters and digits in new BMC passwords.',
    ),
  },
  discovery: {
    enabled: bool(false, 'Auto-discovery at start-up (can be switched at runtime through the API).'),
    enabled_bmc_address_version: list(['4', '6'], 'BMC address versions used to enrol nodes, in order.', {
      choices: ['4', '6'],
    }),
    enroll_node_driver: str('ipmi', 'Driver of nodes created by the enroll hook.'),
    enroll_node_fields: str(
      '{}',
      'JSON object of extra node fields (e.g. {"properties":{"rack":"r1"}}) given to nodes created by the enroll hook.',
    ),
  },
  extra_hardware: {
    strict: bool(
      false,
      'extra_hardware hook: refuse the whole eDeploy data list when a record is not [a, b, c, d].',
    ),
  },
  port_physnet: {
    cidr_map: list(
      [],
      'physnet_cidr_map hook: CIDR:physnet entries, e.g. 198.18.0.0/24:physnet1, 2001:db8::/64:physnet2.',
    ),
  },
  accelerators: {
    known_devices: str(
      '',
      'accelerators hook: YAML file of known devices (pci_devices: [{vendor_id, device_id, type, device_info}]). Empty: the built-in list (NVIDIA Tesla T4, GV100GL).',
    ),
  },
  capabilities: {
    boot_mode: bool(false, 'Set the boot_mode capability from the inventory.'),
    cpu_flags: str(
      '{"vmx":"cpu_vt","svm":"cpu_vt","aes":"cpu_aes","pse":"cpu_hugepages","pdpe1gb":"cpu_hugepages_1g","smx":"cpu_txt"}',
      'JSON map of CPU flag to capability name.',
    ),
  },
  pci_devices: {
    alias: list([], 'JSON objects {"vendor_id","product_id","name"} counted into capabilities.'),
  },
  ipmi: {
    enabled: bool(
      true,
      'Use the built-in IPMI 2.0 (RMCP+) client for power, boot device and BMC credentials.',
    ),
    retry_timeouts: list(
      ['1000', '2000', '3000', '3000'],
      'Wait for an answer on each try; the list length is the number of tries.',
      {
        unit: 'ms',
      },
    ),
    deadline: int(15000, 'Upper bound for one exchange with its retries, and for opening a session.', {
      unit: 'ms',
      min: 100,
    }),
    max_concurrent_sessions: int(16, 'RMCP+ sessions open at once across all BMCs.', { min: 1 }),
    max_concurrent_power_ops: int(
      8,
      'Power operations (status, on/off/cycle, boot device) running at once across all BMCs; more wait in order.',
      { min: 1 },
    ),
    keep_alive: int(25000, 'Idle time before a cheap command keeps a long session alive; 0 disables.', {
      unit: 'ms',
      min: 0,
    }),
    cipher_suite: int(3, 'RMCP+ cipher suite (3 = RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128).', {
      min: 1,
      max: 17,
    }),
    credential_verify_tries: int(10, 'Logins tried to verify BMC credentials set in-band by the ramdisk.', {
      min: 1,
    }),
    credential_verify_interval: int(3, 'Pause between those logins.', { unit: 's', min: 0 }),
  },
  hooks: {
    external: list(
      [],
      'External hooks as name=/path/to/module.js; the module exports a hook object (see docs/hooks.md).',
    ),
  },
  dhcp: {
    enabled: bool(
      false,
      'Run the built-in DHCP/PXE server (UDP 67, and 4011 in proxy mode). Off by default: enable it on the provisioning network only.',
    ),
    mode: str(
      'full',
      'full: hand out addresses and boot information. proxy: boot information only (proxyDHCP), beside a site DHCP server that gives the addresses.',
      { choices: ['full', 'proxy'] },
    ),
    interface_address: str(
      '',
      'Our IPv4 address on the provisioning network: DHCP server identifier (option 54), next-server (siaddr) and the address in boot URLs. Required when enabled.',
    ),
    listen_address: str(
      '0.0.0.0',
      'Address the DHCP sockets bind to. Must stay 0.0.0.0 to receive broadcasts; confinement to one interface is done by [pxe_filter] (Node cannot bind a socket to a device).',
    ),
    subnet: str(
      '',
      'Provisioning subnet in CIDR form, e.g. 198.18.0.0/24. Empty: the /24 around interface_address.',
    ),
    range_start: str('', 'First address of the dynamic pool (full mode). Required in full mode.'),
    range_end: str('', 'Last address of the dynamic pool, inclusive (full mode). Required in full mode.'),
    router: str('', 'Default gateway sent to clients (option 3); empty sends none.'),
    dns_servers: list([], 'DNS servers sent to clients (option 6).'),
    domain_name: str('', 'Domain name sent to clients (option 15); empty sends none.'),
    lease_time: int(3600, 'Lease time of the addresses handed out (option 51).', { unit: 's', min: 60 }),
    authoritative: bool(
      true,
      'NAK requests for addresses we did not lease (RFC 2131 §4.3.2). Keep true on a dedicated provisioning network; false beside other DHCP servers.',
    ),
    offer_ttl: int(30, 'How long an offered address stays reserved for the client.', { unit: 's', min: 1 }),
    decline_quarantine: int(600, 'How long a declined (in-use) address stays out of the pool.', {
      unit: 's',
      min: 0,
    }),
    boot_file_map: list(
      [
        '0=pxelinux.0',
        '7=grubx64.efi',
        '9=grubx64.efi',
        '11=grubaa64.efi',
        '16=http://${server}:${port}/boot/files/ipxe.efi',
      ],
      'Boot file per client architecture (option 93, RFC 4578): arch=file. A value starting with http:// is a UEFI HTTP-boot URL; ${server} and ${port} are replaced. Unlisted architectures get no answer (the timeline says why).',
    ),
    ipxe_script_url: str(
      'http://${server}:${port}/boot/ipxe/${mac}.ipxe',
      'Boot file for clients that already run iPXE (option 77 = iPXE): our per-MAC iPXE script over HTTP, which breaks the chainload loop and skips pxelinux and TFTP. ${server}, ${port}, ${mac}, ${mac-hyphen} are replaced.',
    ),
    ipxe_no_pxedhcp: bool(
      true,
      'Send iPXE option 175.176 (no-pxedhcp = 1) to iPXE clients so they do not wait about 2 s for ProxyDHCP offers (see docs/adr/0006).',
    ),
    proxy_port: int(4011, 'PXE boot-server port answered in proxy mode (PXE 2.1); 0 disables it.', {
      min: 0,
      max: 65535,
    }),
    lease_save_delay: int(1000, 'Longest delay between a lease change and its (batched) save.', {
      unit: 'ms',
      min: 0,
    }),
  },
  tftp: {
    enabled: bool(
      false,
      'Run the built-in read-only TFTP server (UDP 69) for the boot loaders and their configs.',
    ),
    root: str(
      '',
      'Boot root directory (kernel, initramfs, extra loaders). Empty: <state_dir>/tftp. Per-MAC pxelinux/GRUB configs are generated, not read from here.',
    ),
    listen_address: str('0.0.0.0', 'Address of the TFTP listener.'),
    port: int(69, 'UDP port of the TFTP listener.', { min: 0, max: 65535 }),
    max_blksize: int(
      1468,
      'Largest block size agreed with clients (RFC 2348); 1468 fits an Ethernet frame.',
      {
        unit: 'bytes',
        min: 8,
        max: 65464,
      },
    ),
    max_windowsize: int(64, 'Largest window agreed with clients (RFC 7440).', {
      unit: 'blocks',
      min: 1,
      max: 64,
    }),
    max_transfers: int(128, 'Concurrent transfers, all clients together; more requests wait in a queue.', {
      min: 1,
    }),
    max_transfers_per_client: int(8, 'Concurrent transfers per client address; more wait in the queue.', {
      min: 1,
    }),
    system_loaders: bool(
      true,
      "Serve pxelinux.0, ldlinux.c32, iPXE (undionly.kpxe, ipxe.efi, snponly.efi) and GRUB (grubx64.efi) from Debian's packages when the root does not hold them.",
    ),
  },
  http_boot: {
    enabled: bool(
      false,
      'Serve boot files (/boot/files/*, with Range) and per-MAC iPXE scripts (/boot/ipxe/<mac>.ipxe) from the API port, without authentication.',
    ),
    base_url: str(
      '',
      'Base URL booting nodes use to reach this daemon (boot files and the callback). Empty: [DEFAULT] public_url, else http://<[dhcp] interface_address>:<listen_port>.',
    ),
    kernel: str('discovery.kernel', 'Kernel of the discovery ramdisk, relative to the [tftp] root.'),
    initramfs: str('discovery.initramfs', 'Initramfs of the discovery ramdisk, relative to the [tftp] root.'),
    kernel_params: list([], 'Extra kernel command-line arguments for the ramdisk, e.g. ipa-debug=1.'),
    console: str('ttyS0,115200n8', 'Kernel console= argument of the ramdisk.'),
    collectors: str('default,logs', 'ipa-inspection-collectors of the ramdisk.'),
    template_dir: str(
      '',
      'Directory of the pxelinux/GRUB/iPXE templates. Empty: the assets/templates shipped.',
    ),
  },
  pxe_filter: {
    driver: str(
      'noop',
      'Which MACs may DHCP/PXE: nftables (our own table inet <table> on the provisioning interface) or noop (another component owns DHCP gating).',
      { choices: ['noop', 'nftables'] },
    ),
    interface: str('', 'The provisioning interface; DHCP/PXE/TFTP arriving on any other one is dropped.'),
    table: str('inspectord', 'Name of our nftables table (family inet).'),
    sync_period: int(
      15,
      'Period of the filter sync (also run on every introspection and node change); 0: only on changes.',
      {
        unit: 's',
        min: 0,
      },
    ),
    deny_unknown_macs: bool(
      false,
      'Refuse MACs of no enrolled node even while discovery is on: only nodes under introspection may boot.',
    ),
    nft_path: str('/usr/sbin/nft', 'The nft binary (absolute: under npm, PATH holds an unrelated nft).'),
    knock_timeout: int(
      3600,
      'How long a refused MAC is remembered in the knocks set after its last attempt.',
      {
        unit: 's',
        min: 1,
      },
    ),
  },
  rules: {
    rules_file: str(
      '',
      'JSON file of introspection rules: an array of POST /v1/rules bodies. Loaded at start (an invalid file refuses the start) and on every SIGHUP (an invalid file changes nothing): the rules it holds are created, replaced or deleted so that the stored file rules equal the file; API-created rules are never touched, and file rules cannot be deleted through the API. Empty: off. See docs/adr/0011.',
    ),
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

export type Schema = typeof schema;
type ValueOf<S> = S extends { type: 'int' | 'float' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'list' }
      ? readonly string[]
      : string;

export type Config = {
  readonly [G in keyof Schema]: { readonly [K in keyof Schema[G]]: ValueOf<Schema[G][K]> };
};
