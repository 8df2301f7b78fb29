#!/usr/bin/python3
"""Drives a running inspectord through Debian's openstacksdk (baremetal_introspection proxy),
the client Ironic itself uses. Usage: sdk-driver.py URL COMMAND NODE [ARG]; prints JSON."""
import json
import sys

import openstack

url, command, node = sys.argv[1], sys.argv[2], sys.argv[3]
conn = openstack.connect(
    auth_type='none',
    baremetal_introspection_endpoint_override=url,
    baremetal_introspection_api_version='1',
)
proxy = conn.baremetal_introspection


def status(i):
    return {'id': i.id, 'state': i.state, 'is_finished': i.is_finished, 'error': i.error,
            'started_at': i.started_at, 'finished_at': i.finished_at}


if command == 'start':
    i = proxy.start_introspection(node, manage_boot=False)
    print(json.dumps(status(proxy.get_introspection(node))))
elif command == 'status':
    print(json.dumps(status(proxy.get_introspection(node))))
elif command == 'list':
    print(json.dumps([status(i) for i in proxy.introspections()]))
elif command == 'wait':
    i = proxy.wait_for_introspection(node, timeout=float(sys.argv[4]) if len(sys.argv) > 4 else 60)
    print(json.dumps(status(i)))
elif command == 'data':
    print(json.dumps(proxy.get_introspection_data(node)))
elif command == 'unprocessed':
    print(json.dumps(proxy.get_introspection_data(node, processed=False)))
elif command == 'abort':
    proxy.abort_introspection(node)
    print(json.dumps(status(proxy.get_introspection(node))))
elif command == 'reapply':
    # openstacksdk 0.101 has no reapply helper: use the proxy's own session, as Ironic would.
    response = proxy.post('/introspection/%s/data/unprocessed' % node, microversion='1.17')
    print(json.dumps({'status_code': response.status_code}))
else:
    sys.exit('unknown command %s' % command)
