/**
 * Lock waits that do not stall production. Every statement of a revision runs under
 * `lock_timeout`, so DDL queued behind a long transaction gives up before the queries queued
 * behind the DDL pile up. A revision that gave up that way (SQLSTATE 55P03) is tried again
 * after a pause that grows with each try, with jitter: a transactional revision as a whole
 * (it was rolled back), a statement-by-statement one from the statement that timed out. Each
 * wait is printed with who blocks it (pg_blocking_pids, their query and how long their
 * transaction has been open); after the last try the revision fails naming the blocker.
 */
import type { Driver, Session } from '../adapters/db/driver.js';
import { formatMs } from '../adapters/db/lockfile.js';
import type { Config } from '../adapters/config-types.js';
import { RevisionFailed } from './apply.js';
import type { Reporter } from './context.js';

const LOCK_NOT_AVAILABLE = '55P03';
/** The longest pause between two tries. */
const MAX_DELAY_MS = 60_000;

/** A session that holds a lock the work connection waits for. */
export interface Blocker {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  query: string | null;
  /** How long its transaction (or, outside one, its query) has been running. */
  ageMs: number | null;
}

/** Runs one revision (`attempt`), trying it again while it times out on a lock. */
export type Retrying = <T>(name: string, attempt: (from?: number) => Promise<T>) => Promise<T>;

/**
 * The pause before try `n + 1` (n from 1): lock_timeout doubled at each try, up to a minute,
 * times a random factor between 0.5 and 1.5 so that several deploys blocked by one
 * transaction do not all come back at once. With the default 5s: about 5, 10, 20, 40, 60 s.
 */
export function retryDelayMs(lockTimeoutMs: number, n: number, random = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, (lockTimeoutMs > 0 ? lockTimeoutMs : 1000) * 2 ** (n - 1));
  return Math.round(Math.min(MAX_DELAY_MS, base * (0.5 + random())));
}

/** A retrying runner for the revisions of one command. */
export function lockRetries(db: Driver, config: Config, report: Reporter): Retrying {
  const { lockTimeoutMs, lockRetries: retries } = config.database;
  let workPid: Promise<number | null> | undefined;
  return async (name, attempt) => {
    // The work connection's server pid, asked once, between revisions (it is busy during one).
    workPid ??= db.monitor() ? db.query<{ pid: number }>('select pg_backend_pid() as pid').then(([r]) => r.pid) : Promise.resolve(null);
    const pid = await workPid;
    let from: number | undefined;
    // The sessions last seen blocking this revision, in this try or an earlier one.
    let seen: Blocker[] = [];
    for (let n = 1; ; n++) {
      const watch = watchBlockers(db.monitor(), pid, lockTimeoutMs);
      try {
        return await attempt(from);
      } catch (e) {
        const now = await watch.stop();
        if (!(e instanceof RevisionFailed) || e.sqlstate !== LOCK_NOT_AVAILABLE) throw e;
        if (now.length) seen = now;
        const who = seen.length ? describeBlockers(seen) : `a session fmig has not seen yet (it looks every ${formatMs(lookEveryMs(lockTimeoutMs))})`;
        if (n > retries) {
          const tries = n === 1 ? 'once' : `${n} times`;
          throw new RevisionFailed(
            e.revision,
            `${e.report}\n  gave up after waiting for a lock ${tries} (lock_timeout ${formatMs(lockTimeoutMs)}, lock_retries ${retries}); the lock is held by ${who}`,
            e.partial,
            e.fields,
            e.sqlstate,
            e.statementsDone,
          );
        }
        const delay = retryDelayMs(lockTimeoutMs, n);
        const what = e.partial
          ? `statement ${(e.statementsDone ?? 0) + 1} gave up waiting for a lock (the statements before it stay done)`
          : 'gave up waiting for a lock and was rolled back';
        report.warn(`${name}: ${what}; held by ${who}; trying again in ${formatMs(delay)} (retry ${n} of ${retries})`);
        if (e.partial) from = e.statementsDone ?? 0;
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        await watch.stop();
      }
    }
  };
}

/**
 * Looks, every third of lock_timeout while a revision runs, at who blocks the work connection,
 * and keeps the last sessions seen. A revision that finishes sooner costs nothing: the first
 * look comes after a third of lock_timeout, and only then is the monitor connection opened.
 */
function watchBlockers(monitor: Session | null, pid: number | null, lockTimeoutMs: number): { stop(): Promise<Blocker[]> } {
  let seen: Blocker[] = [];
  if (!monitor || pid === null || lockTimeoutMs <= 0) return { stop: async () => seen };
  let looking: Promise<void> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    looking = blockersOf(monitor, pid)
      .then(
        (found) => {
          if (found.length) seen = found;
        },
        () => {}, // a look that fails only leaves the report without a name
      )
      .finally(() => {
        busy = false;
      });
  }, lookEveryMs(lockTimeoutMs));
  return {
    async stop() {
      clearInterval(timer);
      await looking;
      return seen;
    },
  };
}

function lookEveryMs(lockTimeoutMs: number): number {
  return Math.max(20, Math.floor(lockTimeoutMs / 3));
}

/** The sessions that block server pid `pid` now. */
export async function blockersOf(s: Session, pid: number): Promise<Blocker[]> {
  const rows = await s.query<{ pid: number; user: string | null; application: string | null; state: string | null; query: string | null; age_ms: number | null }>(
    `select a.pid, a.usename as user, a.application_name as application, a.state, left(a.query, 300) as query,
            (extract(epoch from clock_timestamp() - coalesce(a.xact_start, a.query_start)) * 1000)::float8 as age_ms
       from pg_stat_activity a where a.pid = any(pg_blocking_pids($1)) order by a.pid`,
    [pid],
  );
  return rows.map((r) => ({ pid: r.pid, user: r.user, application: r.application, state: r.state, query: r.query, ageMs: r.age_ms === null ? null : Number(r.age_ms) }));
}

/** "pid 4242 (user app, idle in transaction, transaction open for 3m12s, last query: select ...)". */
export function describeBlockers(blockers: Blocker[]): string {
  return blockers
    .map((b) => {
      const idle = b.state === 'idle in transaction' || b.state === 'idle in transaction (aborted)';
      const parts = [
        b.user ? `user ${b.user}` : '',
        b.application ? `application ${b.application}` : '',
        b.state ?? '',
        b.ageMs !== null ? `${b.state?.startsWith('idle') ? 'transaction' : 'running'} for ${age(b.ageMs)}` : '',
        b.query ? `${idle ? 'last query' : 'query'}: ${oneLine(b.query)}` : '',
      ].filter(Boolean);
      return `pid ${b.pid} (${parts.join(', ')})`;
    })
    .join('; ');
}

function oneLine(q: string): string {
  const s = q.replace(/\s+/g, ' ').trim();
  return s.length > 120 ? s.slice(0, 119) + '…' : s;
}

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
