/** Runs jobs at most N at a time, keeping apart those that may not overlap. */

/**
 * Calls `fn` on each item, at most `jobs` at once, never two items with the same key at once
 * (null: no key), starting them in order. Once `stop()` is true no further item starts; those
 * running finish. Resolves with each item's result, undefined for an item never started.
 * `fn` must not reject.
 */
export function runPool<T, R>(items: readonly T[], jobs: number, keyOf: (item: T) => string | null, fn: (item: T) => Promise<R>, stop: () => boolean): Promise<(R | undefined)[]> {
  return new Promise((resolve) => {
    const results: (R | undefined)[] = new Array(items.length).fill(undefined);
    const waiting = items.map((_, i) => i);
    const busy = new Set<string>();
    let running = 0;
    const pump = () => {
      while (running < jobs && waiting.length && !stop()) {
        const at = waiting.findIndex((i) => {
          const key = keyOf(items[i]);
          return key === null || !busy.has(key);
        });
        if (at === -1) break;
        const [i] = waiting.splice(at, 1);
        const key = keyOf(items[i]);
        if (key !== null) busy.add(key);
        running++;
        void fn(items[i]).then((r) => {
          results[i] = r;
          running--;
          if (key !== null) busy.delete(key);
          pump();
        });
      }
      if (running === 0) resolve(results);
    };
    pump();
  });
}
