// Action `example`: accepts any parameters and changes nothing; the engine reports it ran
// (ironic-inspector's example plugin only logs).
import type { ActionPlugin } from '../plugin.js';

export const exampleAction: ActionPlugin = {
  action: 'example',
  required: [],
  optional: [],
  anyParams: true,
  formatted: [],
  apply(_node, params) {
    return { ok: true, note: `example action called with ${JSON.stringify(params)}` };
  },
};
