// Action `fail`: stop and fail the introspection with the rule's `message`.
import type { ActionPlugin } from '../plugin.js';

export const failAction: ActionPlugin = {
  action: 'fail',
  required: ['message'],
  optional: [],
  formatted: [],
  validate(params) {
    return typeof params['message'] === 'string'
      ? null
      : { param: 'message', message: 'message must be a string' };
  },
  apply(_node, params) {
    return { ok: false, failed: true, error: String(params['message']) };
  },
};
