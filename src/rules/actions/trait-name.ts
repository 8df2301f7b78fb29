// Shared check for the trait actions: Ironic traits are strings of at most 255 characters.
import type { ParamError } from '../plugin.js';

export function validateTraitName(params: Record<string, unknown>): ParamError | null {
  const name = params['name'];
  if (typeof name !== 'string' || name === '' || name.length > 255) {
    return { param: 'name', message: 'name must be a non-empty string of at most 255 characters' };
  }
  return null;
}
