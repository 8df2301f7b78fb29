import test from 'ava';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ErrorCode } from '../../../src/core/errors.js';
import { Nft, isNoSuchObject, parseNftFailure } from '../../../src/firewall/nft.js';

const fixtures = new URL('../../../../test/fixtures/firewall/', import.meta.url);
const sample = (name: string): string => readFileSync(new URL(name, fixtures), 'utf8');
const args = ['-j', '-f', '-'];

const cases: Array<[string, string, ErrorCode, RegExp, boolean]> = [
  ['EPERM on apply', 'stderr-eperm-apply.txt', 'ERR_FIREWALL_PERMISSION', /CAP_NET_ADMIN/, false],
  ['EPERM on list', 'stderr-eperm-list.txt', 'ERR_FIREWALL_PERMISSION', /CAP_NET_ADMIN/, false],
  [
    'invalid MAC',
    'stderr-invalid-mac.txt',
    'ERR_FIREWALL_NFT_FAILED',
    /^nft failed: Invalid LL address$/,
    false,
  ],
  [
    'missing table',
    'stderr-list-missing-table.txt',
    'ERR_FIREWALL_NFT_FAILED',
    /^nft failed: No such file or directory$/,
    true,
  ],
  [
    'existing object',
    'stderr-file-exists.txt',
    'ERR_FIREWALL_NFT_FAILED',
    /Could not process rule: File exists/,
    false,
  ],
  [
    'JSON schema error',
    'stderr-bad-flag.txt',
    'ERR_FIREWALL_NFT_FAILED',
    /Invalid set flag at index 0\.; Parsing command array at index 0 failed\./,
    false,
  ],
  ['syntax error', 'stderr-syntax.txt', 'ERR_FIREWALL_NFT_FAILED', /syntax error, unexpected newline/, false],
];

for (const [title, file, code, pattern, noSuch] of cases) {
  test(`nft stderr is classified: ${title}`, (t) => {
    const error = parseNftFailure(sample(file), 1, args);
    t.is(error.code, code);
    t.regex(error.message, pattern);
    t.is(isNoSuchObject(error), noSuch);
    t.deepEqual(error.details?.args, args);
  });
}

test('nft stderr without an Error line keeps its first line', (t) => {
  t.is(parseNftFailure('\nsomething odd\n', 1, args).message, 'nft failed: something odd');
});

test('nft that cannot be spawned is ERR_FIREWALL_NFT_MISSING with an actionable message', async (t) => {
  const nft = new Nft({ log: pino({ level: 'silent' }), options: { nftPath: '/nonexistent/nft' } });
  const error = await t.throwsAsync(nft.apply({ nftables: [] }));
  t.is((error as { code?: string }).code, 'ERR_FIREWALL_NFT_MISSING');
  t.regex(error!.message, /driver = noop/);
});
