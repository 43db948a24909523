/**
 * Lock connections kept open between the runs of one command over many targets (a fan-out):
 * a run that released its lock hands its lock connection to the next run on the same server,
 * which takes its own lock on it. Each run still holds its own lock (keyed on its ledger) while
 * it works; what is saved is a connection, and a server backend, per run.
 */

interface Closable {
  end(options?: { timeout?: number }): Promise<void>;
}

let kept: Map<string, Closable[]> | null = null;

/** Keeps lock connections from now on; the function returned closes those kept and stops keeping. */
export function keepLockConnections(): () => Promise<void> {
  const mine = (kept ??= new Map());
  return async () => {
    if (kept === mine) kept = null;
    const all = [...mine.values()].flat();
    mine.clear();
    await Promise.all(all.map((c) => c.end({ timeout: 0 }).catch(() => {})));
  };
}

/** A kept connection to `key` (the URL), holding no lock; undefined when there is none. */
export function takeKept<C extends Closable>(key: string): C | undefined {
  return kept?.get(key)?.pop() as C | undefined;
}

/** Keeps a connection that holds no lock any more, for the next run; false when nothing is being kept (close it). */
export function keep(key: string, conn: Closable): boolean {
  if (!kept) return false;
  const list = kept.get(key);
  if (list) list.push(conn);
  else kept.set(key, [conn]);
  return true;
}
