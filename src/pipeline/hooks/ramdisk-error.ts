// ramdisk_error: a ramdisk that reports `error` fails the introspection (reference §5).
import { HookError, type ProcessingHook } from '../hook.js';

export const ramdiskErrorHook: ProcessingHook = {
  name: 'ramdisk_error',
  beforeProcessing(data) {
    const error = data.error;
    if (error !== undefined && error !== null && error !== '' && error !== false) {
      throw new HookError(
        `Ramdisk reported error: ${typeof error === 'string' ? error : JSON.stringify(error)}`,
      );
    }
  },
};
