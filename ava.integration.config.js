// Integration tests: real peers (udhcpc, tftp clients, ipmi_sim, nft, openstacksdk) in network
// namespaces; serial so namespaces and ports don't collide.
export default {
  files: ['dist/test/integration/**/*.test.js'],
  timeout: '5m',
  serial: true,
  concurrency: 1,
  environmentVariables: { INSPECTORD_TEST: '1' },
};
