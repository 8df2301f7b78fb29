// RFC 6902 JSON Patch (add, remove, replace, test) over plain JSON values, as Ironic's PATCH
// uses it; returns a new document and never mutates its input.
import { AppError } from './errors.js';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new AppError('ERR_API_BAD_BODY', `JSON patch path "${path}" must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function applyPatch<T>(document: T, operations: PatchOperation[]): T {
  const root: { value: unknown } = { value: clone(document) };
  for (const [index, operation] of operations.entries()) {
    if (!operation || typeof operation !== 'object' || typeof operation.path !== 'string') {
      throw new AppError('ERR_API_BAD_BODY', `patch operation ${index} needs "op" and "path"`);
    }
    if (!['add', 'remove', 'replace', 'test'].includes(operation.op)) {
      throw new AppError(
        'ERR_API_BAD_BODY',
        `patch operation ${index}: unsupported op "${String(operation.op)}"`,
      );
    }
    const keys = parsePointer(operation.path);
    if (keys.length === 0)
      throw new AppError('ERR_API_BAD_BODY', 'patching the whole document is not allowed');
    let parent: unknown = root.value;
    for (const key of keys.slice(0, -1)) {
      if (parent === null || typeof parent !== 'object') {
        throw new AppError('ERR_API_BAD_BODY', `patch path ${operation.path} does not exist`);
      }
      let child = (parent as Record<string, unknown>)[key];
      if (child === undefined && operation.op === 'add') {
        child = {};
        (parent as Record<string, unknown>)[key] = child;
      }
      parent = child;
    }
    const last = keys[keys.length - 1] as string;
    if (parent === null || typeof parent !== 'object') {
      throw new AppError('ERR_API_BAD_BODY', `patch path ${operation.path} does not exist`);
    }
    const container = parent as Record<string, unknown>;
    const list = parent as unknown[];
    const isArray = Array.isArray(parent);
    const exists = isArray ? last === '-' || Number(last) < list.length : Object.hasOwn(container, last);
    switch (operation.op) {
      case 'test':
        if (JSON.stringify(container[last]) !== JSON.stringify(operation.value)) {
          throw new AppError('ERR_API_BAD_BODY', `patch test failed at ${operation.path}`);
        }
        break;
      case 'remove':
        if (!exists)
          throw new AppError('ERR_API_BAD_BODY', `cannot remove ${operation.path}: it does not exist`);
        if (isArray) list.splice(Number(last), 1);
        else delete container[last];
        break;
      case 'replace':
        if (!exists)
          throw new AppError('ERR_API_BAD_BODY', `cannot replace ${operation.path}: it does not exist`);
        if (isArray) list[Number(last)] = clone(operation.value);
        else container[last] = clone(operation.value);
        break;
      case 'add':
        if (isArray) {
          if (last === '-') list.push(clone(operation.value));
          else list.splice(Number(last), 0, clone(operation.value));
        } else {
          container[last] = clone(operation.value);
        }
        break;
    }
  }
  return root.value as T;
}
