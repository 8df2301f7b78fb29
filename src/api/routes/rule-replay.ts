// Rules over stored data (our extension): POST /v1/rules/dry-run evaluates one rule, a list
// ({"rules": [...]}) or the stored set against stored processed data and changes nothing;
// POST /v1/rules/apply re-runs the stored rules (not the hooks) and stores the diff.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ApiDeps, RuleReplayApi } from '../deps.js';

export async function registerRuleReplayRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const replay = (): RuleReplayApi => {
    if (!deps.ruleReplay) throw new AppError('ERR_API_NOT_FOUND', 'Rule dry-run and apply are not available');
    return deps.ruleReplay;
  };
  app.post('/v1/rules/dry-run', async (request) => replay().dryRun(request.body));
  app.post('/v1/rules/apply', async (request) => {
    const result = await replay().apply(request.body);
    deps.onNodesChanged?.();
    return result;
  });
}
