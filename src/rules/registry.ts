// The one table of rule condition ops and actions (ironic-inspector's stevedore entry points).
import type { ActionPlugin, ConditionPlugin } from './plugin.js';
import { eqCondition } from './conditions/eq.js';
import { neCondition } from './conditions/ne.js';
import { ltCondition } from './conditions/lt.js';
import { gtCondition } from './conditions/gt.js';
import { leCondition } from './conditions/le.js';
import { geCondition } from './conditions/ge.js';
import { inNetCondition } from './conditions/in-net.js';
import { matchesCondition } from './conditions/matches.js';
import { containsCondition } from './conditions/contains.js';
import { isEmptyCondition } from './conditions/is-empty.js';
import { failAction } from './actions/fail.js';
import { setAttributeAction } from './actions/set-attribute.js';
import { extendAttributeAction } from './actions/extend-attribute.js';
import { setCapabilityAction } from './actions/set-capability.js';
import { addTraitAction } from './actions/add-trait.js';
import { removeTraitAction } from './actions/remove-trait.js';
import { exampleAction } from './actions/example.js';

export const conditionPlugins: ReadonlyMap<string, ConditionPlugin> = new Map(
  [
    eqCondition,
    neCondition,
    ltCondition,
    gtCondition,
    leCondition,
    geCondition,
    inNetCondition,
    matchesCondition,
    containsCondition,
    isEmptyCondition,
  ].map((p) => [p.op, p]),
);

export const actionPlugins: ReadonlyMap<string, ActionPlugin> = new Map(
  [
    failAction,
    setAttributeAction,
    extendAttributeAction,
    setCapabilityAction,
    addTraitAction,
    removeTraitAction,
    exampleAction,
  ].map((p) => [p.action, p]),
);
