// Fuzz target: rule JSON (src/rules/validate.ts, what POST /v1/rules receives) and, for bodies that
// validate, the engine (evaluateRules/applyActions) run on mutated real inventories. Properties:
// validation never throws and names a field for each problem; a validated rule never makes the
// engine throw, whatever the data.
import test from 'ava';
import { describeRuleErrors, validateRule } from '../../../src/rules/validate.js';
import { applyActions, evaluateRules } from '../../../src/rules/engine.js';
import type { RuleRecord } from '../../../src/core/introspection-record.js';
import { isAppError } from '../../../src/core/errors.js';
import { parseJsonBody } from '../../../src/api/json-body.js';
import {
  check,
  fuzzBudget,
  fuzzLoop,
  mutateJson,
  mutateJsonText,
  randomJson,
  toJsonText,
  type Json,
} from '../../helpers/fuzz.js';
import { makeNode } from '../rules/node-factory.js';
import { inventoryCorpus, ruleCorpus } from './corpus.js';

const rules = ruleCorpus();
const inventories = inventoryCorpus();
const budget = () => fuzzBudget({ seconds: 3, iterations: 20_000 });

test.serial('rule validation never throws and every problem names its field', async (t) => {
  let ran = 0;
  const stats = await fuzzLoop(t, 'rules.validate', budget(), (rng) => {
    const value = rng.chance(0.1)
      ? randomJson(rng, 5)
      : mutateJson(rng, rng.pick(rules), [...rules, ...inventories]);
    // Bodies reach the validator through the API's parser, as POST /v1/rules receives them.
    let text = toJsonText(value);
    if (rng.chance(0.1)) text = mutateJsonText(rng, text);
    let body: unknown;
    try {
      body = parseJsonBody(Buffer.from(text));
    } catch (error) {
      check(isAppError(error) && error.status === 400, `the parser threw ${String(error)}`);
      return 'rejected';
    }
    const result = validateRule(body);
    if (!result.ok) {
      check(result.errors.length > 0, 'a rejection lists its problems');
      check(describeRuleErrors(result.errors).length > 0, 'the problems render as a message');
      return 'rejected';
    }
    // A valid rule runs on a (possibly mutated) real inventory without throwing.
    const record: RuleRecord = {
      ...result.rule,
      uuid: result.rule.uuid ?? '0000',
      created_at: '2026-01-01T00:00:00',
    };
    const data = rng.chance(0.5)
      ? rng.pick(inventories)
      : mutateJson(rng, rng.pick(inventories), inventories);
    const ctx = { data, node: makeNode() };
    const evaluation = evaluateRules([record], ctx);
    // Run the actions even when the conditions did not match: the action paths get fuzzed too.
    const applied = applyActions({ rules: evaluation.rules, matched: [record] }, ctx, {
      now: '2026-01-01T00:00:00',
    });
    check(applied.node !== ctx.node, 'the engine works on a copy of the node');
    ran += 1;
    return 'accepted';
  });
  t.log(`rules.validate: ${ran} validated rules run through the engine`);
  t.true(stats.rejected > 0);
  t.true(stats.accepted > 0, 'some mutated rules still validate');
});

test.serial('the corpus rules validate as they are (the fuzz starts from valid bodies)', (t) => {
  for (const rule of rules) {
    const r = validateRule(structuredClone(rule) as Json);
    t.true(r.ok, r.ok ? '' : describeRuleErrors(r.errors));
  }
});
