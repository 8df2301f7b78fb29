// API authentication: noauth, or http_basic against an Apache htpasswd file with bcrypt
// entries. Verified credentials are cached briefly so bcrypt's cost is paid once per client.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { AppError } from '../core/errors.js';
import type { AuthCheck } from './deps.js';

export const noAuth: AuthCheck = { check: async () => undefined };

/** Parse htpasswd text into user → bcrypt hash; non-bcrypt entries are reported. */
export function parseHtpasswd(text: string): { users: Map<string, string>; problems: string[] } {
  const users = new Map<string, string>();
  const problems: string[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`line ${index + 1}: expected user:hash`);
      continue;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!/^\$2[abxy]\$\d\d\$/.test(hash)) {
      problems.push(`line ${index + 1}: user ${user} does not have a bcrypt hash (htpasswd -B)`);
      continue;
    }
    users.set(user, hash.replace(/^\$2y\$/, '$2a$'));
  }
  return { users, problems };
}

export class HttpBasicAuth implements AuthCheck {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly clock: { now(): number } = { now: () => Date.now() },
    private readonly cacheTtlMs = 60_000,
  ) {}

  async check(authorization: string | undefined): Promise<void> {
    if (!authorization || !/^basic\s+/i.test(authorization)) {
      throw new AppError('ERR_API_UNAUTHORIZED', 'Authentication required: use HTTP basic auth');
    }
    const key = createHash('sha256').update(authorization).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined && cached > this.clock.now()) return;
    const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    const hash = this.users.get(user);
    // An unknown user still costs one bcrypt compare (against a real hash of the same cost), so
    // the answer's timing does not tell which user names exist.
    const decoy = hash ?? this.users.values().next().value;
    const matches = decoy !== undefined && (await bcrypt.compare(password, decoy));
    if (!hash || !matches) {
      throw new AppError('ERR_API_UNAUTHORIZED', 'Unauthorized: invalid user name or password');
    }
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, this.clock.now() + this.cacheTtlMs);
  }
}
