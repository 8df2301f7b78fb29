// example: logs both phases and changes nothing (the reference's example hook, handy to check
// that a processing_hooks list is wired as expected).
import type { ProcessingHook } from '../hook.js';

export const exampleHook: ProcessingHook = {
  name: 'example',
  beforeProcessing(data, context) {
    context.log.info({ keys: Object.keys(data).sort() }, 'example hook: before processing');
  },
  beforeUpdate(_data, context) {
    context.log.info({ node: context.node.uuid }, 'example hook: before update');
  },
};
