// install-unit planning: unit rendering, config kept or installed 0640, daemon-reload only when
// systemd runs and the prefix is /.
import test from 'ava';
import { planInstall, renderUnit, type InstallInput } from '../../../src/cli/commands/install-unit.js';

const template =
  'ExecStart=/usr/local/bin/inspectord serve --config /etc/inspectord/inspector.conf\n' +
  'ExecStartPost=/usr/local/bin/inspectord health --wait 60\n' +
  'Environment=INSPECTORD_URL=http://127.0.0.1:5050\n';

const base: InstallInput = {
  prefix: '/',
  executable: ['/usr/bin/node', '/opt/inspectord/bin/inspectord.js'],
  url: 'http://127.0.0.1:5050',
  unitTemplate: template,
  configExample: '[DEFAULT]\n',
  configExists: false,
  systemdRunning: true,
};

test('the unit gets the real executable in ExecStart and ExecStartPost, and the URL', (t) => {
  const unit = renderUnit(template, base.executable, 'http://198.18.0.1:5050');
  t.regex(unit, /^ExecStart=\/usr\/bin\/node \/opt\/inspectord\/bin\/inspectord\.js serve /m);
  t.regex(unit, /^ExecStartPost=\/usr\/bin\/node \/opt\/inspectord\/bin\/inspectord\.js health /m);
  t.regex(unit, /INSPECTORD_URL=http:\/\/198\.18\.0\.1:5050/);
});

test('a path with whitespace is refused (systemd would split it)', (t) => {
  t.throws(() => renderUnit(template, ['/opt/my dir/node'], base.url), { message: /whitespace/ });
});

test('a fresh install writes the unit 0644, the config 0640 and reloads systemd', (t) => {
  const steps = planInstall(base);
  t.deepEqual(
    steps.filter((s) => s.kind === 'write').map((s) => [s.path, s.mode]),
    [
      ['/etc/systemd/system/inspectord.service', 0o644],
      ['/etc/inspectord/inspector.conf', 0o640],
    ],
  );
  t.deepEqual(steps.at(-1), { kind: 'run', argv: ['systemctl', 'daemon-reload'] });
});

test('an existing config is kept', (t) => {
  const steps = planInstall({ ...base, configExists: true });
  t.true(steps.some((s) => s.kind === 'keep' && s.path === '/etc/inspectord/inspector.conf'));
  t.false(steps.some((s) => s.kind === 'write' && s.path.endsWith('inspector.conf')));
});

test('daemon-reload is skipped when systemd is not PID 1', (t) => {
  const last = planInstall({ ...base, systemdRunning: false }).at(-1);
  t.is(last?.kind, 'skip');
  t.regex(last?.kind === 'skip' ? last.reason : '', /not the running init/);
});

test('daemon-reload is skipped under a --prefix, files go below it', (t) => {
  const steps = planInstall({ ...base, prefix: '/tmp/root' });
  t.true(
    steps.some((s) => s.kind === 'write' && s.path === '/tmp/root/etc/systemd/system/inspectord.service'),
  );
  t.is(steps.at(-1)?.kind, 'skip');
});

test('an executable under /root or /home is warned about (ProtectHome hides it)', (t) => {
  const steps = planInstall({ ...base, executable: ['/usr/bin/node', '/root/inspectord/bin/inspectord.js'] });
  t.true(steps.some((s) => s.kind === 'warn' && /ProtectHome/.test(s.message)));
});
