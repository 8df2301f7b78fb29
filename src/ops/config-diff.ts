// Which options a reloaded config changes, and which of those the running daemon can apply
// live versus which need a restart (SIGHUP semantics, docs/operations.md "Reload").

/** A config as plain sections of options (the frozen Config object fits). */
export type ConfigSections = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  return Object.is(a, b);
}

/** `section.option` of every option whose value differs (sections/options present in either). */
export function changedOptions(previous: ConfigSections, next: ConfigSections): string[] {
  const changed: string[] = [];
  const sections = new Set([...Object.keys(previous), ...Object.keys(next)]);
  for (const section of [...sections].sort()) {
    const before = previous[section] ?? {};
    const after = next[section] ?? {};
    const names = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const name of [...names].sort()) {
      if (!same(before[name], after[name])) changed.push(`${section}.${name}`);
    }
  }
  return changed;
}

export interface ReloadPlan {
  /** Changed options the daemon applies now. */
  live: string[];
  /** Changed options that take effect only after a restart (kept at their running value). */
  restart: string[];
}

/**
 * Split the changes: an option is live when `live` lists it or its whole section (`section.*`).
 * Anything not listed is conservatively restart-only, so a new section nobody taught reload
 * about is reported, never silently half-applied.
 */
export function planReload(changed: readonly string[], live: ReadonlySet<string>): ReloadPlan {
  const plan: ReloadPlan = { live: [], restart: [] };
  for (const option of changed) {
    const section = option.slice(0, option.indexOf('.'));
    if (live.has(option) || live.has(`${section}.*`)) plan.live.push(option);
    else plan.restart.push(option);
  }
  return plan;
}
