// Start-up permission check of files holding secrets.
import test from 'ava';
import { secretFileProblem, secretOptionsIn } from '../../../src/ops/file-permissions.js';

const cases: Array<[string, number, number, string[], boolean]> = [
  ['0600 with secrets', 0o100600, 0, ['password hashes'], false],
  ['0644 with secrets', 0o100644, 0, ['password hashes'], true],
  ['0604 with secrets', 0o100604, 0, ['password hashes'], true],
  ['0640 group root with secrets', 0o100640, 0, ['password hashes'], false],
  ['0640 other group with secrets', 0o100640, 1000, ['password hashes'], true],
  ['0644 without secrets', 0o100644, 0, [], false],
];
for (const [title, mode, gid, secrets, warns] of cases) {
  test(`permission check: ${title} → ${warns ? 'warning' : 'fine'}`, (t) => {
    const problem = secretFileProblem({ path: '/etc/inspectord/htpasswd', mode, gid, secrets });
    if (warns) {
      t.truthy(problem);
      t.regex(problem!, /chmod 0600 \/etc\/inspectord\/htpasswd/);
      t.regex(problem!, new RegExp(`mode ${(mode & 0o777).toString(8).padStart(4, '0')}`));
    } else t.is(problem, null);
  });
}

test('the warning names what is secret and who can read it', (t) => {
  const problem = secretFileProblem({ path: '/c', mode: 0o644, gid: 0, secrets: ['[ipmi] password'] });
  t.is(
    problem,
    '/c holds [ipmi] password and is readable by every local user (mode 0644); run: chmod 0600 /c',
  );
});

test('secret options are those the predicate marks and that are set', (t) => {
  const sections = {
    DEFAULT: { listen_port: '5050' },
    ipmi: { password: 's3cret', user: 'x' },
    x: { password: '' },
  };
  const found = secretOptionsIn(sections, (_s, name) => name === 'password');
  t.deepEqual(found, ['[ipmi] password']);
});
