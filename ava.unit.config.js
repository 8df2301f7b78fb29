// Unit tests: pure code, fakes only, no root. Run against the tsc output (dist/).
export default {
  files: ['dist/test/unit/**/*.test.js'],
  timeout: '60s',
  concurrency: 2,
  environmentVariables: { INSPECTORD_TEST: '1' },
};
