// A bounded memo for the pure parsers a rule condition runs on every evaluation (field paths,
// Python regexes, networks): rules are few and their strings fixed, so a small table covers them.

/**
 * Memoise `compute` (a pure function of a string) in a table of at most `max` entries, emptied
 * when full (no LRU bookkeeping on the hot path). Callers must treat results as read-only: they are
 * shared between evaluations (RegExps here have no g/y flag, so test() keeps no state).
 */
export function boundedMemo<V>(compute: (key: string) => V, max = 512): (key: string) => V {
  const table = new Map<string, V>();
  return (key) => {
    const hit = table.get(key);
    if (hit !== undefined || table.has(key)) return hit as V;
    const value = compute(key);
    if (table.size >= max) table.clear();
    table.set(key, value);
    return value;
  };
}
