// Fuzz target: the API (src/api/app.ts) in process, over fastify inject, wired to the real
// introspection service, default hook pipeline, rule validator and rules runner on in-memory
// stores. /v1/continue gets random and mutated real inventories (deep nesting, huge arrays, wrong
// types, prototype keys, damaged JSON text, any content type) for nodes that really are waiting,
// so the posts go through lookup, both hook phases and the rules. Properties: never a 5xx, every
// 4xx carries {"error":{"message"}}, and nothing leaks onto Object.prototype.
import test from 'ava';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.js';
import { MAX_JSON_DEPTH } from '../../../src/api/json-body.js';
import type { IntrospectionService } from '../../../src/core/introspection.js';
import type { LocalNodeRepository } from '../../../src/core/node-repository.js';
import { RuleBook } from '../../../src/core/rule-book.js';
import { silentLog } from '../../../src/core/log.js';
import { validateRule } from '../../../src/rules/validate.js';
import { createRuleRunner } from '../../../src/rules-runner.js';
import { coreEnv } from '../../helpers/core-env.js';
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
import { CORPUS_MACS, inventoryCorpus, ruleCorpus } from './corpus.js';

const inventories = inventoryCorpus();
const rules = ruleCorpus();
const budget = () => fuzzBudget({ seconds: 3, iterations: 5_000, inputMs: 5000 });
const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/octet-stream',
  '',
];

interface Env {
  app: FastifyInstance;
  service: IntrospectionService;
  nodes: LocalNodeRepository;
  uuids: string[];
}

async function env(): Promise<Env> {
  const { store, events, clock, nodes, service } = coreEnv({
    settings: { powerOff: false },
    pipeline: { addPorts: 'all' },
    rules: createRuleRunner,
  });
  const ruleBook = new RuleBook({
    store,
    clock,
    validate: (body) => {
      const r = validateRule(body);
      return r.ok ? { ok: true, rule: r.rule } : { ok: false, errors: r.errors };
    },
  });
  for (const rule of rules) await ruleBook.create(structuredClone(rule));
  let discovery = false;
  const app = await buildApp(
    {
      log: silentLog,
      introspection: service,
      nodes,
      rules: ruleBook,
      events,
      auth: { check: async () => undefined },
      discovery: { get: () => discovery, set: async (v) => void (discovery = v) },
      settings: { apiMaxLimit: 1000, storeData: true },
    },
    { bodyLimit: 4 * 1024 * 1024 },
  );
  const uuids: string[] = [];
  for (const [i, mac] of CORPUS_MACS.entries()) {
    const node = await nodes.create(
      { name: `fuzz-${i}`, driver_info: { ipmi_address: `198.18.1.${i + 1}` } },
      { ports: [{ address: mac }] },
    );
    uuids.push(node.uuid);
    await service.start(node.uuid, { manageBoot: false });
  }
  return { app, service, nodes, uuids };
}

/** Put every corpus node back under introspection so the next posts match one. */
async function rearm(e: Env): Promise<void> {
  for (const uuid of e.uuids) {
    const status = e.service.status(uuid);
    if (status.finished_at !== null) await e.service.start(uuid, { manageBoot: false });
  }
}

function body(rng: Rng): string {
  const r = rng.int(20);
  if (r === 0) return toJsonText(randomJson(rng, 5));
  if (r === 1)
    return deepNestText(
      rng.pick([MAX_JSON_DEPTH - 5, MAX_JSON_DEPTH + 1, 100_000]),
      rng.chance(0.5) ? 'array' : 'object',
    );
  const value = mutateJson(rng, rng.pick(inventories), inventories);
  const text = toJsonText(value);
  return rng.chance(0.15) ? mutateJsonText(rng, text) : text;
}

function checkResponse(status: number, payload: string, what: string): void {
  check(status < 500, `${what} → ${status}: ${payload.slice(0, 300)}`);
  if (status >= 400) {
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      json = undefined;
    }
    const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
    check(
      typeof message === 'string' && message.length > 0,
      `${what} → ${status} without a JSON error message`,
    );
  }
}

test.serial('POST /v1/continue never answers 5xx to random or mutated inventories', async (t) => {
  const e = await env();
  t.teardown(() => e.app.close());
  let processed = 0;
  const stats = await fuzzLoop(t, 'api.continue', budget(), async (rng) => {
    const payload = body(rng);
    const type = rng.pick(CONTENT_TYPES);
    const r = await e.app.inject({
      method: 'POST',
      url: '/v1/continue',
      payload,
      headers: type ? { 'content-type': type } : {},
    });
    checkResponse(r.statusCode, r.payload, `POST /v1/continue (${payload.length} bytes)`);
    check(!('polluted' in {}) && !('x' in Object.prototype), 'Object.prototype was polluted');
    if (r.statusCode === 200) {
      processed += 1;
      await rearm(e);
      return 'accepted';
    }
    // A 4xx on a matched node finished its introspection with an error: put it back.
    await rearm(e);
    return 'rejected';
  });
  t.log(`api.continue: ${processed} posts fully processed (lookup, hooks, rules)`);
  t.true(stats.rejected > 0);
  t.true(processed > 0, 'some mutated inventories went all the way through');
});

test.serial('rules, introspection and node routes never answer 5xx to mutated bodies and ids', async (t) => {
  const e = await env();
  t.teardown(() => e.app.close());
  const ids = () => [...e.uuids, 'fuzz-0', 'nope', '%00', '..%2f..', 'x'.repeat(600), '😀', '%E0%A4%A'];
  const stats = await fuzzLoop(t, 'api.routes', budget(), async (rng) => {
    const id = encodeURIComponent(rng.pick(ids())).slice(0, rng.chance(0.9) ? undefined : 5);
    const route = rng.pick([
      ['POST', '/v1/rules'],
      ['POST', '/v1/nodes'],
      ['PATCH', `/v1/nodes/${id}`],
      ['POST', `/v1/introspection/${id}`],
      ['GET', `/v1/introspection/${id}`],
      ['GET', `/v1/introspection/${id}/data`],
      ['POST', `/v1/introspection/${id}/data/unprocessed`],
      ['POST', `/v1/introspection/${id}/abort`],
      ['GET', `/v1/rules/${id}`],
      ['DELETE', `/v1/rules/${id}`],
      ['GET', `/v1/introspection?limit=${rng.pick(['-1', 'x', '1e9', '0', ''])}&marker=${id}`],
    ] as const);
    const seed = rng.chance(0.5) ? rng.pick(rules) : rng.pick(inventories);
    const payload = rng.chance(0.1)
      ? body(rng)
      : toJsonText(mutateJson(rng, seed as Json, [...rules, ...inventories]));
    const type = rng.pick(CONTENT_TYPES);
    const r = await e.app.inject({
      method: route[0],
      url: route[1],
      ...(route[0] === 'GET' || route[0] === 'DELETE' ? {} : { payload }),
      headers: {
        ...(type ? { 'content-type': type } : {}),
        ...(rng.chance(0.2)
          ? {
              'x-openstack-ironic-inspector-api-version': rng.pick([
                '1.0',
                '1.18',
                '1.99',
                'latest',
                'x',
                '',
              ]),
            }
          : {}),
      },
    });
    checkResponse(r.statusCode, r.payload, `${route[0]} ${route[1].slice(0, 80)}`);
    if (route[1].startsWith('/v1/introspection/') && route[0] === 'POST') await rearm(e);
    return r.statusCode >= 400 ? 'rejected' : 'accepted';
  });
  t.true(stats.rejected > 0);
  t.true(stats.accepted > 0);
});

// Regressions, named after the input that found them.

test.serial('continue-body-nested-10000-levels is a 400, not a stack overflow (500)', async (t) => {
  const e = await env();
  t.teardown(() => e.app.close());
  for (const kind of ['array', 'object'] as const) {
    const inner = deepNestText(10_000, kind);
    const r = await e.app.inject({
      method: 'POST',
      url: '/v1/continue',
      payload: `{"inventory":${inner}}`,
    });
    t.is(r.statusCode, 400, r.payload.slice(0, 200));
    t.regex(r.payload, /nested deeper than 1000 levels/);
  }
});

test.serial('rule-action-name-nested-10000-levels is a 400, not a stack overflow (500)', async (t) => {
  const e = await env();
  t.teardown(() => e.app.close());
  const r = await e.app.inject({
    method: 'POST',
    url: '/v1/rules',
    payload: `{"actions":[{"action":${deepNestText(10_000, 'array')}}]}`,
  });
  t.is(r.statusCode, 400, r.payload.slice(0, 200));
});

test.serial(
  'a body nested just under the bound still parses (strings with brackets do not count)',
  async (t) => {
    const e = await env();
    t.teardown(() => e.app.close());
    const r = await e.app.inject({
      method: 'POST',
      url: '/v1/rules',
      payload: `{"description":"[[[[{{{{\\"[","actions":[{"action":"example","x":${deepNestText(MAX_JSON_DEPTH - 4, 'array')}}]}`,
    });
    t.is(r.statusCode, 201, r.payload.slice(0, 200));
  },
);

test.serial('rule-id-600-chars and bad-percent-encoding get our JSON error body (414, 400)', async (t) => {
  const e = await env();
  t.teardown(() => e.app.close());
  for (const [url, status] of [
    [`/v1/rules/${'x'.repeat(600)}`, 414],
    ['/v1/rules/%E0%A4%A', 400],
  ] as const) {
    const r = await e.app.inject({ method: 'GET', url });
    t.is(r.statusCode, status);
    t.regex((r.json() as { error: { message: string } }).error.message, /max param length|not a valid url/);
  }
});
