// Per-node locks with the reference's semantics: lookup/processing wait for the lock (blocking),
// abort/reapply/clean-up try without blocking and back off (409 / skip) when it is held.

export type Release = () => void;

export class NodeLocks {
  private readonly held = new Map<string, Array<() => void>>();

  isLocked(uuid: string): boolean {
    return this.held.has(uuid);
  }

  /** Take the lock, or return null at once when it is held. */
  tryAcquire(uuid: string): Release | null {
    if (this.held.has(uuid)) return null;
    this.held.set(uuid, []);
    return this.releaser(uuid);
  }

  /** Wait for the lock (FIFO). */
  acquire(uuid: string): Promise<Release> {
    const waiters = this.held.get(uuid);
    if (!waiters) {
      this.held.set(uuid, []);
      return Promise.resolve(this.releaser(uuid));
    }
    return new Promise((resolve) => waiters.push(() => resolve(this.releaser(uuid))));
  }

  private releaser(uuid: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiters = this.held.get(uuid);
      const next = waiters?.shift();
      if (next) next();
      else this.held.delete(uuid);
    };
  }
}
