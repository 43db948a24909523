/**
 * fmig's lock as a row in a table (`[database] lock = "table"`), for servers without advisory
 * locks (CockroachDB and others). The row of a ledger, in `<schema>.fmig_lock`, names its holder
 * and carries a lease: the holder pushes `expires_at` forward every heartbeat, from its own
 * connection; a holder that stops (killed, cut off) loses the lock once the lease runs out, and
 * the next fmig takes the row over. Times are the server's clock, so clients' clocks do not
 * matter. Every statement runs on its own (autocommit): nothing holds a transaction open.
 */
import crypto from 'node:crypto';
import type postgres from 'postgres';
import type { LockOptions } from './driver.js';
import { ident, toDbError } from './driver.js';
import { formatMs, formatSince } from './lockfile.js';
import { UnreachableError } from '../../core/errors.js';

export const LOCK_TABLE = 'fmig_lock';

const POLL_MS = 500;
const WAIT_REPORT_MS = 5000;

export interface TableLease {
  leaseMs: number;
  heartbeatMs: number;
}

/**
 * Takes the lock row of the ledger in `o`, waiting (polling) while another holder's lease runs;
 * resolves to its release. `holder` is what others see (`fmig <pid>@<host> <command>`). Throws
 * UnreachableError `lock-timeout` after `o.timeoutMs`.
 */
export async function takeTableLock(conn: postgres.Sql, o: LockOptions, lease: TableLease, holder: string, display: string): Promise<HeldTableLock> {
  const table = `${ident(o.schema)}.${ident(LOCK_TABLE)}`;
  const name = `${ident(o.schema)}.${ident(o.table)}`;
  const token = crypto.randomBytes(12).toString('hex');
  const interval = `${Math.max(1, Math.round(lease.leaseMs))} milliseconds`;
  await createTable(conn, o.schema, table);
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Infinity;
  let lastReport = -Infinity;
  for (;;) {
    const sent = Date.now();
    // Takes a free row, or one whose lease ran out; `previous` names the holder it took over from.
    const [row] = await conn.unsafe(
      `with old as (select holder, expires_at from ${table} where name = $1)
       insert into ${table} as l (name, holder, token, since, expires_at) values ($1, $2, $3, now(), now() + $4::interval)
       on conflict (name) do update set holder = excluded.holder, token = excluded.token, since = excluded.since, expires_at = excluded.expires_at
        where l.expires_at < now()
       returning (select holder from old) as previous, (select expires_at from old) as expired`,
      [name, holder, token, interval],
    );
    if (row) {
      if (row.previous !== null && row.previous !== undefined) o.onTakeOver?.(`${describe(String(row.previous))}, whose lease ran out at ${formatSince(new Date(row.expired))}`);
      return keep(conn, table, name, token, interval, lease, sent, o);
    }
    const [held] = await conn.unsafe(`select holder, since, expires_at, now() as now from ${table} where name = $1`, [name]);
    if (!held) continue; // released in between: try again at once
    const who = `${describe(String(held.holder), new Date(held.since))}, lease until ${formatSince(new Date(held.expires_at))}`;
    const now = Date.now();
    if (now >= deadline) {
      throw new UnreachableError(
        `timed out after ${formatMs(o.timeoutMs)} waiting for fmig's lock on ${display} (ledger ${o.schema}.${o.table}, lock table ${o.schema}.${LOCK_TABLE}): held by ${who}`,
        'another fmig is migrating this database; let it finish, or raise database.lock_wait (or --lock-wait). A holder that was killed loses the lock when its lease runs out (database.lock_lease)',
        'lock-timeout',
      );
    }
    if (o.onWait && now - lastReport >= WAIT_REPORT_MS) {
      lastReport = now;
      o.onWait(who);
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - now)));
  }
}

/** Creates the schema and the lock table where missing; two fmigs doing it at once is no error. */
async function createTable(conn: postgres.Sql, schema: string, table: string): Promise<void> {
  const [found] = await conn.unsafe(`select to_regclass($1) is not null as ok`, [table]);
  if (found.ok) return;
  try {
    await conn.unsafe(`create schema if not exists ${ident(schema)}`);
    await conn.unsafe(`create table if not exists ${table} (
      name text primary key,
      holder text not null,
      token text not null,
      since timestamptz not null,
      expires_at timestamptz not null)`);
  } catch (e) {
    // 23505/42P07/42P06: another process created it between the look and the create.
    const code = toDbError(e)?.sqlstate;
    if (code !== '23505' && code !== '42P07' && code !== '42P06') throw e;
  }
}

/** A table lock held: its release, and whether its lease is still surely ours. */
export interface HeldTableLock {
  release(): Promise<void>;
  /**
   * False once the lease may have run out: counted on this process's clock from when the last
   * renewal that succeeded was sent, so never later than the server's own expiry. A holder that
   * was paused (SIGSTOP, a starved machine) past its lease learns it here before its next
   * statement, whether or not the heartbeat has run since.
   */
  valid(): boolean;
  /**
   * A statement to run last in every transaction that writes: it fails unless the row is still
   * this holder's with its lease running, and holds the row (FOR SHARE) until the transaction
   * ends, so no other fmig can take the lock over between it and the COMMIT.
   */
  fence: string;
}

/** Heartbeats until released: each pushes the lease forward, if the row is still ours. */
function keep(conn: postgres.Sql, table: string, name: string, token: string, interval: string, lease: TableLease, taken: number, o: LockOptions): HeldTableLock {
  let lost = false;
  let validUntil = taken + lease.leaseMs;
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const sent = Date.now();
    beating = conn
      .unsafe(`update ${table} set expires_at = now() + $3::interval where name = $1 and token = $2 returning 1`, [name, token, interval])
      .then((rows) => {
        if (rows.length && !lost) validUntil = Math.max(validUntil, sent + lease.leaseMs);
        if (rows.length || lost) return;
        lost = true;
        o.onLost?.(`fmig's lock (lock table ${table}) was taken over by another process: this one did not renew its lease in time`);
      })
      .catch(() => {}); // a failed heartbeat is tried again at the next one
  }, lease.heartbeatMs);
  timer.unref();
  let released = false;
  const valid = () => !lost && Date.now() < validUntil;
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    await beating;
    await conn.unsafe(`delete from ${table} where name = $1 and token = $2`, [name, token]).catch(() => {
      // the lease runs out on its own
    });
  };
  const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const fence = `DO $fmig$ BEGIN
  PERFORM 1 FROM ${table} WHERE name = ${lit(name)} AND token = ${lit(token)} AND expires_at > now() FOR SHARE;
  IF NOT FOUND THEN RAISE EXCEPTION 'fmig-lock-lost'; END IF;
END $fmig$`;
  return { release, valid, fence };
}

/** `fmig <pid>@<host> <command>` as the advisory lock's messages say it: `pid 12 on host h (fmig up, since 10:00:00)`. */
function describe(holder: string, since?: Date): string {
  const m = /^fmig (\d+)@(\S+) ?(.*)$/.exec(holder);
  const when = since ? `since ${formatSince(since)}` : '';
  if (!m) return [holder, when].filter(Boolean).join(', ');
  const [, pid, host, command] = m;
  return `pid ${pid} on host ${host} (${[`fmig ${command}`.trim(), when].filter(Boolean).join(', ')})`;
}
