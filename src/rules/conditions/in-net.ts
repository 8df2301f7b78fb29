// Condition `in-net`: the field is an IP address inside the CIDR `value` (IPv4 or IPv6; a
// network given with host bits set is accepted, as netaddr.IPNetwork does).
import type { ConditionPlugin } from '../plugin.js';
import { networkContains, parseIp, parseNetwork } from '../ip-network.js';
import { ConditionCheckError } from '../python-compare.js';

export const inNetCondition: ConditionPlugin = {
  op: 'in-net',
  required: ['value'],
  optional: [],
  allowMissing: false,
  validate(params) {
    const net = parseNetwork(params['value']);
    return net.ok ? null : { param: 'value', message: `invalid value: ${net.error}` };
  },
  check(field, params) {
    const net = parseNetwork(params['value']);
    if (!net.ok) throw new ConditionCheckError(net.error);
    const ip = parseIp(field);
    if (!ip) throw new ConditionCheckError(`${JSON.stringify(field)} is not an IP address`);
    return networkContains(net.net, ip);
  },
};
