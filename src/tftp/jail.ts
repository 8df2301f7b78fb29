// The boot-root path jail shared by TFTP and HTTP boot: normalises a requested name and proves,
// with realpath, that the file it names lies inside the root (no `..`, no symlink escape).
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type JailRefusal = { ok: false; reason: 'invalid' | 'traversal' | 'escape' | 'not-found' };
export type JailResult = { ok: true; path: string; relative: string; size: number } | JailRefusal;

/**
 * Lexical normalisation: map `\` to `/` (Windows-style PXE/UEFI clients), strip leading `/`
 * (GRUB asks for `/grub/grub.cfg`), drop `.` and empty segments; reject NUL and any `..` segment.
 * Returns the relative name, or the reason it is refused.
 */
export function normalizeRequestPath(requested: string): { ok: true; relative: string } | JailRefusal {
  if (requested.includes('\0')) return { ok: false, reason: 'invalid' };
  const segments = requested.replace(/\\/g, '/').split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, reason: 'traversal' };
    kept.push(segment);
  }
  if (kept.length === 0) return { ok: false, reason: 'invalid' };
  return { ok: true, relative: kept.join('/') };
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** A jail on one root directory; the root's own realpath is resolved once and cached. */
export class PathJail {
  private rootReal: Promise<string> | null = null;

  constructor(readonly root: string) {}

  private realRoot(): Promise<string> {
    this.rootReal ??= realpath(this.root);
    return this.rootReal;
  }

  /** Resolves a request to a regular file inside the root, following symlinks only inside it. */
  async resolve(requested: string): Promise<JailResult> {
    const normal = normalizeRequestPath(requested);
    if (!normal.ok) return normal;
    let root: string;
    try {
      root = await this.realRoot();
    } catch {
      this.rootReal = null; // the root may appear later (populated after start-up)
      return { ok: false, reason: 'not-found' };
    }
    let real: string;
    try {
      real = await realpath(path.join(root, normal.relative));
    } catch {
      return { ok: false, reason: 'not-found' };
    }
    // realpath resolved every symlink; the result must still be under the root.
    if (!isInside(root, real)) return { ok: false, reason: 'escape' };
    try {
      const info = await stat(real);
      if (!info.isFile()) return { ok: false, reason: 'not-found' };
      return { ok: true, path: real, relative: normal.relative, size: info.size };
    } catch {
      return { ok: false, reason: 'not-found' };
    }
  }
}
