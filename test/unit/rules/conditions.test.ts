import test from 'ava';
import { evaluateRules } from '../../../src/rules/engine.js';
import type { RuleCondition } from '../../../src/core/introspection-record.js';
import { makeNode, makeRule, sampleData } from './node-factory.js';

function check(cond: RuleCondition): { matched: boolean; error?: string } {
  const rule = makeRule({ conditions: [cond], actions: [{ action: 'example' }] });
  const ev = evaluateRules([rule], { data: sampleData, node: makeNode() });
  const c = ev.rules[0]?.conditions[0];
  return { matched: c?.matched ?? false, ...(c?.error ? { error: c.error } : {}) };
}

type Row = [string, RuleCondition, boolean];
const rows: Row[] = [
  // eq / ne with numeric coercion of the field (value numeric → int(field) / float(field))
  ['eq int', { op: 'eq', field: 'cpus', value: 8 }, true],
  ['eq int vs numeric string field', { op: 'eq', field: 'node://properties.cpus', value: 8 }, true],
  ['eq string is not coerced', { op: 'eq', field: 'cpus', value: '8' }, false],
  ['eq string', { op: 'eq', field: 'inventory.cpu.architecture', value: 'x86_64' }, true],
  ['eq list', { op: 'eq', field: 'inventory.cpu.flags', value: ['vmx', 'aes'] }, true],
  ['eq float coerces field to float', { op: 'eq', field: 'cpus', value: 8.5 }, false],
  ['ne', { op: 'ne', field: 'cpus', value: 4 }, true],
  ['ne equal', { op: 'ne', field: 'cpus', value: 8 }, false],
  // ordering
  ['lt', { op: 'lt', field: 'cpus', value: 16 }, true],
  ['lt equal', { op: 'lt', field: 'cpus', value: 8 }, false],
  ['le equal', { op: 'le', field: 'cpus', value: 8 }, true],
  ['gt', { op: 'gt', field: 'memory_mb', value: 8192 }, true],
  ['gt float', { op: 'gt', field: 'cpus', value: 7.5 }, true],
  ['ge equal', { op: 'ge', field: 'memory_mb', value: 16384 }, true],
  ['ge below', { op: 'ge', field: 'memory_mb', value: 16385 }, false],
  [
    'gt strings compare lexicographically',
    { op: 'gt', field: 'inventory.cpu.architecture', value: 'arm' },
    true,
  ],
  // in-net
  ['in-net v4', { op: 'in-net', field: 'ipmi_address', value: '198.18.0.0/24' }, true],
  ['in-net v4 outside', { op: 'in-net', field: 'ipmi_address', value: '198.18.1.0/24' }, false],
  ['in-net host bits set', { op: 'in-net', field: 'ipmi_address', value: '198.18.0.77/16' }, true],
  ['in-net bare address', { op: 'in-net', field: 'ipmi_address', value: '198.18.0.10' }, true],
  ['in-net v4 addr in v6 net', { op: 'in-net', field: 'ipmi_address', value: '2001:db8::/32' }, false],
  // matches (full) / contains (search)
  [
    'matches full',
    { op: 'matches', field: 'inventory.system_vendor.product_name', value: 'PowerEdge R\\d+' },
    true,
  ],
  [
    'matches is anchored at end',
    { op: 'matches', field: 'inventory.system_vendor.product_name', value: 'PowerEdge' },
    false,
  ],
  [
    'matches alternation is a full match',
    { op: 'matches', field: 'inventory.cpu.architecture', value: 'x86|arm' },
    false,
  ],
  [
    'matches python named group',
    { op: 'matches', field: 'inventory.cpu.architecture', value: '(?P<a>x86)_(?P=a)?64' },
    true,
  ],
  ['matches str() of a number', { op: 'matches', field: 'cpus', value: '\\d' }, true],
  [
    'matches inline flag',
    { op: 'matches', field: 'inventory.system_vendor.manufacturer', value: '(?i)dell inc\\.' },
    true,
  ],
  ['contains', { op: 'contains', field: 'inventory.system_vendor.manufacturer', value: 'ell' }, true],
  [
    'contains absent',
    { op: 'contains', field: 'inventory.system_vendor.manufacturer', value: '^ell' },
    false,
  ],
  ['contains str() of a list', { op: 'contains', field: 'inventory.cpu.flags', value: "'vmx'" }, true],
  // is-empty
  ['is-empty empty string', { op: 'is-empty', field: 'empty_str' }, true],
  ['is-empty empty list', { op: 'is-empty', field: 'empty_list' }, true],
  ['is-empty empty dict', { op: 'is-empty', field: 'empty_obj' }, true],
  ['is-empty null', { op: 'is-empty', field: 'inventory.interfaces[1].ipv4_address' }, true],
  ['is-empty missing field counts as empty', { op: 'is-empty', field: 'no.such.field' }, true],
  ['is-empty zero is not empty', { op: 'is-empty', field: 'cpus' }, false],
  ['is-empty inverted on missing field', { op: 'is-empty', field: 'no.such', invert: true }, false],
  // invert
  ['invert eq', { op: 'eq', field: 'cpus', value: 8, invert: true }, false],
  ['invert ne', { op: 'eq', field: 'cpus', value: 4, invert: true }, true],
  ['missing field fails even inverted', { op: 'eq', field: 'nothing', value: 1, invert: true }, false],
  // multiple
  ['multiple any (default)', { op: 'eq', field: 'inventory.disks[*].rotational', value: false }, true],
  [
    'multiple all false',
    { op: 'eq', field: 'inventory.disks[*].rotational', value: false, multiple: 'all' },
    false,
  ],
  ['multiple all true', { op: 'gt', field: 'inventory.disks[*].size', value: 1e9, multiple: 'all' }, true],
  [
    'multiple first true',
    { op: 'eq', field: 'inventory.disks[*].serial', value: 'S1', multiple: 'first' },
    true,
  ],
  [
    'multiple first false',
    { op: 'eq', field: 'inventory.disks[*].serial', value: 'N1', multiple: 'first' },
    false,
  ],
  [
    'multiple any with invert',
    { op: 'eq', field: 'inventory.disks[*].serial', value: 'S1', invert: true },
    true,
  ],
  [
    'multiple all with invert',
    { op: 'eq', field: 'inventory.disks[*].serial', value: 'X', invert: true, multiple: 'all' },
    true,
  ],
  // node:// sees the node with secrets masked
  ['node scheme', { op: 'eq', field: 'node://driver', value: 'ipmi' }, true],
  [
    'node scheme masks secrets',
    { op: 'eq', field: 'node://driver_info.ipmi_password', value: '******' },
    true,
  ],
  ['data scheme explicit', { op: 'eq', field: 'data://inventory.cpu.count', value: 8 }, true],
];

for (const [title, cond, expected] of rows) {
  test(`condition ${title} → ${expected}`, (t) => {
    const r = check(cond);
    t.is(r.error, undefined);
    t.is(r.matched, expected);
  });
}

const errorRows: Array<[string, RuleCondition]> = [
  ['int() of a non-numeric string', { op: 'eq', field: 'inventory.cpu.architecture', value: 3 }],
  ['ordering str against list', { op: 'lt', field: 'inventory.cpu.flags', value: 'a' }],
  ['in-net on a non-IP', { op: 'in-net', field: 'inventory.cpu.architecture', value: '10.0.0.0/8' }],
];
for (const [title, cond] of errorRows) {
  test(`condition error (${title}) is reported and counts as not matched`, (t) => {
    const r = check(cond);
    t.false(r.matched);
    t.truthy(r.error);
  });
}
