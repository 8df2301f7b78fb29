// extra_hardware: the eDeploy `data` list ([a, b, c, d] records) becomes `data.extra[a][b][c] = d`
// for rules to read; `data` is removed (reference §5). [extra_hardware] strict refuses bad lists.
import type { ProcessingHook } from '../hook.js';
import { extraHardware } from '../hook-logic/extra-hardware.js';

export const extraHardwareHook: ProcessingHook = {
  name: 'extra_hardware',
  beforeUpdate(data, context) {
    const result = extraHardware(data.data, { strict: context.settings.extraHardwareStrict ?? false });
    for (const warning of result.warnings) context.log.warn({}, warning);
    if (result.extra !== undefined) data.extra = result.extra;
    if (result.removeData) delete data.data;
  },
};
