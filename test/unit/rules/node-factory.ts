// Test node/data factories shared by the rules unit tests.
import type { NodeRecord } from '../../../src/core/node.js';
import type { RuleRecord } from '../../../src/core/introspection-record.js';

export function makeNode(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    uuid: '1a2b3c4d-0000-4000-8000-000000000001',
    name: 'node-1',
    driver: 'ipmi',
    driver_info: { ipmi_address: '198.18.0.10', ipmi_username: 'admin', ipmi_password: 's3cret' },
    properties: { cpus: '8', capabilities: 'boot_mode:uefi' },
    extra: {},
    traits: ['CUSTOM_OLD'],
    provision_state: 'manageable',
    maintenance: false,
    created_at: '2024-01-01T00:00:00',
    updated_at: null,
    ...overrides,
  };
}

export const sampleData = {
  cpus: 8,
  memory_mb: 16384,
  ipmi_address: '198.18.0.10',
  inventory: {
    bmc_address: '198.18.0.10',
    cpu: { count: 8, architecture: 'x86_64', flags: ['vmx', 'aes'] },
    disks: [
      { name: '/dev/sda', size: 500107862016, rotational: true, serial: 'S1' },
      { name: '/dev/nvme0n1', size: 1000204886016, rotational: false, serial: 'N1' },
    ],
    interfaces: [
      { name: 'eth0', mac_address: '52:54:00:12:34:56', ipv4_address: '198.18.1.5' },
      { name: 'eth1', mac_address: '52:54:00:12:34:57', ipv4_address: null },
    ],
    system_vendor: { manufacturer: 'Dell Inc.', product_name: 'PowerEdge R640', serial_number: 'ABC123' },
  },
  extra: { 'weird-key': { x: 1 } },
  empty_str: '',
  empty_list: [],
  empty_obj: {},
};

let seq = 0;
export function makeRule(partial: Partial<RuleRecord> & Pick<RuleRecord, 'actions'>): RuleRecord {
  seq += 1;
  return {
    uuid: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    description: null,
    scope: null,
    conditions: [],
    created_at: `2024-01-01T00:00:${String(seq % 60).padStart(2, '0')}`,
    ...partial,
  };
}
