// Fuzz against a real `inspectord serve` (127.0.0.1, IPMI off): mutated real inventories on
// /v1/continue for nodes that are waiting, mutated rule bodies, node bodies and ids, with wrong
// content types, plus oversized and deeply nested bodies. Every answer must be 2xx or a 4xx with
// {"error":{"message"}}; the daemon must stay up and its RSS bounded. (The daemon does not bind
// DHCP/TFTP yet, so there is no UDP part here; the codecs are fuzzed in test/unit/fuzz.)
import test from 'ava';
import { readFileSync } from 'node:fs';
import { api, startDaemon, type DaemonHandle } from '../../helpers/daemon.js';
import {
  check,
  deepNestText,
  fuzzBudget,
  fuzzLoop,
  mutateJson,
  mutateJsonText,
  randomJson,
  toJsonText,
  type Json,
  type Rng,
} from '../../helpers/fuzz.js';
import { CORPUS_MACS, inventoryCorpus, ruleCorpus } from '../../unit/fuzz/corpus.js';

const MAX_BODY = 2 * 1024 * 1024;
const inventories = inventoryCorpus();
const rules = ruleCorpus();
const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=z',
  '',
];
let daemon: DaemonHandle;
const uuids: string[] = [];

test.before(async () => {
  daemon = await startDaemon({
    DEFAULT: { timeout: 3600, max_body_size: MAX_BODY },
    ipmi: { enabled: false },
    processing: { add_ports: 'all' },
  });
  for (const [i, mac] of CORPUS_MACS.entries()) {
    const created = await api(daemon.url, 'POST', '/v1/nodes', {
      name: `fuzz-${i}`,
      ports: [{ address: mac }],
    });
    if (created.status >= 300) throw new Error(`enrolling a fuzz node failed: ${created.text}`);
    uuids.push((created.json as { uuid: string }).uuid);
  }
  for (const rule of rules) {
    const r = await api(daemon.url, 'POST', '/v1/rules', rule);
    if (r.status >= 300) throw new Error(`a corpus rule was refused: ${r.text}`);
  }
  await rearm();
});
test.after.always(async () => {
  await daemon?.cleanup();
});

/**
 * Start (again) the introspection of every corpus node that finished, so posts keep matching
 * waiting nodes (a status read is cheap; a start writes the state file durably).
 */
async function rearm(): Promise<void> {
  for (const uuid of uuids) {
    const status = await api(daemon.url, 'GET', `/v1/introspection/${uuid}`);
    if (status.status === 200 && (status.json as { finished: boolean }).finished === false) continue;
    const r = await api(daemon.url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`);
    if (r.status >= 500) throw new Error(`re-starting introspection: ${r.status} ${r.text}`);
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function alive(): Promise<void> {
  check(
    daemon.child.exitCode === null && daemon.child.signalCode === null,
    `the daemon died:\n${daemon.output().slice(-2000)}`,
  );
  const r = await fetch(`${daemon.url}/v1`);
  check(r.ok, `GET /v1 answered ${r.status}`);
}

async function send(
  method: string,
  path: string,
  body: string | undefined,
  type: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${daemon.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: type ? { 'content-type': type } : {},
  });
  return { status: response.status, text: await response.text() };
}

function checkAnswer(status: number, text: string, what: string): void {
  check(status < 500, `${what} → ${status}: ${text.slice(0, 300)}`);
  if (status >= 400) {
    let message: unknown;
    try {
      message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    } catch {
      message = undefined;
    }
    check(
      typeof message === 'string' && message !== '',
      `${what} → ${status} without a JSON error message: ${text.slice(0, 200)}`,
    );
  }
}

function body(rng: Rng, seeds: readonly Json[]): string {
  switch (rng.int(24)) {
    case 0:
      return toJsonText(randomJson(rng, 5));
    case 1:
      return deepNestText(rng.pick([999, 1001, 10_000, 200_000]), rng.chance(0.5) ? 'array' : 'object');
    case 2:
      // Over the body limit: must be a 413 with our error body, not a reset connection.
      return `{"inventory":"${'x'.repeat(MAX_BODY + 10)}"}`;
    default: {
      const text = toJsonText(mutateJson(rng, rng.pick(seeds), [...inventories, ...rules]));
      return rng.chance(0.15) ? mutateJsonText(rng, text) : text;
    }
  }
}

test('mutated bodies on /v1/continue, /v1/rules, /v1/introspection and /v1/nodes never get a 5xx or kill the daemon', async (t) => {
  await alive();
  const pid = daemon.child.pid!;
  const baseline = rssKb(pid);
  let peak = baseline;
  const counts: Record<string, number> = {};
  // One case = a batch of concurrent requests (the callbacks of a boot storm overlap too; and a
  // processed callback takes ~0.8 s here, see the report), then the corpus nodes are re-armed.
  const budget = fuzzBudget({ seconds: 20, iterations: 100_000, inputMs: 15_000 });
  const stats = await fuzzLoop(t, 'daemon.api', budget, async (rng, i) => {
    const batch = Array.from({ length: 8 }, () => {
      const id = rng.pick([...uuids, 'fuzz-1', 'nope', 'x'.repeat(rng.pick([10, 600])), '%00', '..%2F']);
      const pick = rng.int(10);
      const [method, path, seeds] =
        pick < 5
          ? (['POST', '/v1/continue', inventories] as const)
          : pick < 7
            ? (['POST', '/v1/rules', rules] as const)
            : pick < 8
              ? (['POST', '/v1/nodes', inventories] as const)
              : pick < 9
                ? (['PATCH', `/v1/nodes/${id}`, inventories] as const)
                : ([
                    'POST',
                    `/v1/introspection/${id}?manage_boot=${rng.pick(['false', 'true', 'x'])}`,
                    rules,
                  ] as const);
      return { method, path, body: body(rng, seeds), type: rng.pick(CONTENT_TYPES) };
    });
    const answers = await Promise.all(
      batch.map((b) =>
        send(b.method, b.path, b.body, b.type).catch((error: unknown) => {
          // A body over the limit is answered 413 as soon as its length is known; on a loaded box
          // the server may close the socket while the client is still uploading (a legal early
          // close). Anything else that fails at the connection level is a finding.
          if (b.body.length > MAX_BODY) return { status: -1, text: '' };
          throw error;
        }),
      ),
    );
    let rejected = 0;
    answers.forEach((r, k) => {
      const b = batch[k]!;
      if (r.status === -1) {
        counts['oversized body: connection closed early'] =
          (counts['oversized body: connection closed early'] ?? 0) + 1;
        rejected += 1;
        return;
      }
      checkAnswer(r.status, r.text, `${b.method} ${b.path.slice(0, 60)}`);
      const key = `${b.method} ${b.path.split('/').slice(0, 3).join('/')} ${r.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (r.status >= 400) rejected += 1;
    });
    await rearm();
    if (i % 5 === 0) {
      await alive();
      peak = Math.max(peak, rssKb(pid));
    }
    return { inputs: batch.length, rejected };
  });
  await alive();
  // Drop the rules the fuzz created, then check the daemon is still fully usable.
  t.is((await api(daemon.url, 'DELETE', '/v1/rules')).status, 204);
  peak = Math.max(peak, rssKb(pid));
  t.log(`RSS ${Math.round(baseline / 1024)} MiB at start, peak ${Math.round(peak / 1024)} MiB`);
  t.log(
    Object.entries(counts)
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  );
  t.true(peak < baseline + 512 * 1024, `RSS grew from ${baseline} kB to ${peak} kB`);
  t.true(stats.rejected > 0);
  t.true((counts['POST /v1/continue 200'] ?? 0) > 0, 'some mutated inventories were processed');
});
