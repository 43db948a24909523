/**
 * The keys of `[database]`, which a `[targets.<name>]` table may set too, and the checks of
 * fmig's lock settings that both apply.
 */

/** Each `[database]` key and the kind of value it takes. */
export const DATABASE_KEYS = {
  url: 'string',
  direct_url: 'string',
  schema: 'string',
  table: 'string',
  lock_wait: 'duration',
  lock_timeout: 'duration',
  lock_retries: 'count',
  statement_timeout: 'duration',
  // fmig's lock: an advisory lock, or a leased row for servers without advisory locks.
  lock: 'string',
  lock_lease: 'duration',
  lock_heartbeat: 'duration',
} as const satisfies Record<string, 'string' | 'duration' | 'count'>;

export type LockKind = 'advisory' | 'table';

/** A lock setting and the key it was read from (for messages), e.g. `targets.crdb.lock_lease`. */
export interface FromKey<T> {
  value: T;
  key: string;
  /** As written, for messages. */
  shown: string;
}

/** The lock settings of `[database]`, which a target's own keys override one by one. */
export interface InheritedLock {
  kind: FromKey<unknown>;
  lease: FromKey<number>;
  heartbeat: FromKey<number>;
}

/**
 * Checks `lock`, `lock_lease` and `lock_heartbeat` together (each possibly from a different
 * table: a target's own, or `[database]`): a lock fmig has, a lease and heartbeat above 0, and a
 * heartbeat at most half the lease. Problems name the keys.
 */
export function checkLock(kind: FromKey<unknown>, lease: FromKey<number>, heartbeat: FromKey<number>, problems: string[]): LockKind {
  if (kind.value !== null && kind.value !== 'advisory' && kind.value !== 'table') {
    problems.push(`${kind.key}: "${String(kind.value)}" is not a lock fmig has; use "advisory" (the default) or "table" (a leased row in fmig_lock, for servers without advisory locks)`);
  }
  const zero = [lease, heartbeat].filter((k) => k.value === 0);
  if (zero.length) problems.push(`${zero.map((k) => k.key).join(' and ')}: must be more than 0`);
  else if (heartbeat.value * 2 > lease.value) {
    // Named from the key set where the other comes from [database]: a target's lease too short for the heartbeat it inherits.
    const why = 'a late heartbeat would lose the lock';
    problems.push(
      heartbeat.key.startsWith('database.') && !lease.key.startsWith('database.')
        ? `${lease.key}: must be at least twice ${heartbeat.key} (${why}); they are ${lease.shown} and ${heartbeat.shown}`
        : `${heartbeat.key}: must be at most half of ${lease.key} (${why}); they are ${heartbeat.shown} and ${lease.shown}`,
    );
  }
  return kind.value === 'table' ? 'table' : 'advisory';
}
