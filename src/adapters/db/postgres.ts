/**
 * A PostgreSQL server (`postgres://`) through postgres.js.
 *
 * All work runs on ONE connection (`max: 1`), so a `SET` stays for the next statement and
 * nothing a revision does leaks to a different backend. If that connection drops, postgres.js
 * would quietly open a new one without the session's settings; instead every later statement
 * fails with UnreachableError. The writers' lock lives on a connection of its own (SPEC
 * section 4): a session-level advisory lock polled with pg_try_advisory_lock, which neither
 * blocks a backend nor holds a transaction open that `CREATE INDEX CONCURRENTLY` would wait for;
 * or, with `lock = "table"`, a leased row (table-lock.ts).
 */
import os from 'node:os';
import postgres from 'postgres';
import type { Driver, LockOptions, Session } from './driver.js';
import { ident, LOCK_KEYS, maskUrl, ScriptFailed } from './driver.js';
import { formatTextArray, parseTextArray } from './pg-array.js';
import { formatMs, formatSince } from './lockfile.js';
import { LOCK_TABLE, takeTableLock } from './table-lock.js';
import { keep, takeKept } from './kept-connections.js';
import { UnreachableError } from '../../core/errors.js';

type Sql = postgres.Sql | postgres.TransactionSql;

const POLL_MS = 200;
const WAIT_REPORT_MS = 5000;

/** The lock's two int4 keys: fmig's, and the ledger's quoted `schema.table` (quoted so "a.b"."c" and "a"."b.c" differ). */
const KEYS = LOCK_KEYS;

/** The server's driver, with a way to drop its connections at once. */
export interface PostgresDriver extends Driver {
  /** Destroys every connection without waiting for statements in flight (they fail). */
  abort(): Promise<void>;
}

/** Creates the driver without connecting (postgres.js connects on the first statement); `connectTimeoutS` bounds each connect. */
export function openPostgres(url: string, connectTimeoutS: number, searchPath?: string): PostgresDriver {
  const display = maskUrl(url);
  const password = passwordOf(url);
  let closing = false;
  let lost = false;
  // Set when fmig's table lock (lock = "table") was taken over: no statement runs after that.
  let fenced: string | null = null;
  let lease: { valid(): boolean; table: string; fence: string } | null = null;
  const lostMessage = () => fenced ?? `fmig's lock (lock table ${lease?.table ?? LOCK_TABLE}) was taken over by another process: this one did not renew its lease in time`;
  /** Fences this process off once its table lock's lease may have run out. */
  const leaseGone = (): boolean => {
    if (fenced === null && lease && !lease.valid()) fenced = `fmig's lock (lock table ${lease.table}) may have passed to another process: this one did not renew its lease in time`;
    return fenced !== null;
  };
  let inTransaction = false;
  // A tenant's schema is the work session's search_path from its start: a RESET in a revision
  // (or fmig's own RESET ALL between revisions) goes back to it, not to the server's default.
  const startup: Record<string, string> = searchPath ? { search_path: ident(searchPath) } : {};
  const client = (onLost?: () => void, applicationName = 'fmig', params: Record<string, string> = {}) =>
    postgres(url, {
      max: 1,
      // fmig sends few statements, most of them once: named prepared statements would only
      // add round trips, and break behind a transaction-pooling PgBouncer.
      prepare: false,
      // No look-up of array types on connect (a round trip and a catalog scan on every run):
      // fmig uses only arrays of strings, and pg-array.ts reads and writes those.
      fetch_types: false,
      types: { textArray: { to: 1009, from: [1009, 1015, 1003, 1014], serialize: formatTextArray, parse: parseTextArray } },
      onnotice: () => {},
      connect_timeout: connectTimeoutS,
      idle_timeout: 0,
      max_lifetime: 0, // postgres.js would otherwise recycle the connection after 30-60 min, losing its session
      connection: { application_name: applicationName, ...params },
      onclose: () => {
        if (!closing) onLost?.();
      },
    });
  const sql = client(
    () => {
      lost = true;
    },
    'fmig',
    startup,
  );
  const lockClients = new Set<postgres.Sql>();
  let monitor: Session | null = null;
  // Statements sent and not yet answered. close() waits for them: postgres.js, ended while its
  // connection is still being made, never closes the socket that then connects.
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    const done = () => inflight.delete(p);
    p.then(() => {
      connected = true;
      done();
    }, done);
    return p;
  };
  // The work connection's statements not yet answered, for cancel(): postgres.js queries carry
  // a cancel() that sends the server a cancel request on a connection of its own.
  const running = new Set<{ cancel(): unknown }>();
  const cancellable = <T extends Promise<unknown> & { cancel(): unknown }>(q: T): T => {
    running.add(q);
    const done = () => running.delete(q);
    q.then(done, done);
    return q;
  };

  /** What a failed statement throws: fmig's own UnreachableError when the connection is gone. */
  // Errors while connecting are open.ts's to explain (no such database, bad password ...).
  let connected = false;
  const failure = (e: unknown): unknown => {
    const reason = e instanceof ScriptFailed ? e.reason : e;
    if (!connected || !isConnectionLoss(reason)) return scrub(e, password);
    lost = true;
    return connectionLost(display);
  };

  const session = (s: Sql): Session => ({
    async query<T>(text: string, params?: unknown[]) {
      if (lost) throw connectionLost(display);
      if (leaseGone()) throw lockLost(fenced!);
      try {
        // A plain array, as PGlite gives, rather than postgres.js's Result subclass.
        return [...(await track(cancellable(s.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[]))))] as T[];
      } catch (e) {
        throw failure(e);
      }
    },
    async exec(script: string) {
      if (lost) throw connectionLost(display);
      if (leaseGone()) throw lockLost(fenced!);
      try {
        await track(cancellable(s.unsafe(script).simple()));
      } catch (e) {
        throw failure(e);
      }
    },
  });
  const outside = session(sql);
  const guard = () => {
    if (inTransaction) throw new Error('a statement was sent outside the open transaction; use the transaction\'s session');
  };

  return {
    kind: 'postgres',
    embedded: false,
    display,
    query(text, params) {
      guard();
      return outside.query(text, params);
    },
    exec(script) {
      guard();
      return outside.exec(script);
    },
    async transaction(fn) {
      guard();
      if (lost) throw connectionLost(display);
      if (leaseGone()) throw lockLost(fenced!);
      inTransaction = true;
      try {
        const fence = lease?.fence;
        return (await sql.begin(async (tx) => {
          const result = await fn(session(tx));
          if (fence) await tx.unsafe(fence);
          return result;
        })) as Awaited<ReturnType<typeof fn>>;
      } catch (e) {
        if (fenceFailed(e)) throw lockLost(lostMessage());
        throw failure(e);
      } finally {
        inTransaction = false;
      }
    },
    async transact(scripts) {
      guard();
      if (lost) throw connectionLost(display);
      if (leaseGone()) throw lockLost(fenced!);
      inTransaction = true;
      const send = (script: string) => track(cancellable(sql.unsafe(script).simple()));
      try {
        // Nothing of the revision is sent before the transaction is known to be open: were
        // BEGIN to fail, the scripts would otherwise run and commit one by one.
        await send('BEGIN');
        if (!scripts.length) {
          await send('COMMIT');
          return;
        }
        // The COMMIT shares the last script's message: when anything before failed, that
        // script fails in the aborted transaction and the rest of its message is skipped. The
        // newline ends a line comment the script may end with.
        // With the table lock, its fence goes before the last script (the ledger's writes and the
        // COMMIT): a holder whose lease was taken over records and commits nothing.
        const fence = lease?.fence;
        const all = fence ? [...scripts.slice(0, -1), fence, scripts[scripts.length - 1]] : scripts;
        const last = all.length - 1;
        const results = await Promise.allSettled(all.map((script, i) => send(i === last ? `${script}\n;COMMIT` : script)));
        const failed = results.findIndex((r) => r.status === 'rejected');
        if (failed === -1) return;
        await send('ROLLBACK').catch(() => {}); // ends the aborted transaction (a lost connection ended it already)
        if (fence && failed === last - 1 && fenceFailed((results[failed] as PromiseRejectedResult).reason)) throw lockLost(lostMessage());
        if (results[last].status === 'fulfilled') {
          // Committed although an earlier script failed: it failed without reaching the server.
          throw new Error(`statement ${failed + 1} of ${scripts.length} failed before it was sent, and the rest committed: ${(results[failed] as PromiseRejectedResult).reason}`);
        }
        throw new ScriptFailed(fence && failed === last ? failed - 1 : failed, scrub((results[failed] as PromiseRejectedResult).reason, password));
      } catch (e) {
        throw failure(e);
      } finally {
        inTransaction = false;
      }
    },
    async copyFrom(statement, data) {
      guard();
      if (lost) throw connectionLost(display);
      if (leaseGone()) throw lockLost(fenced!);
      try {
        await track(copyIn(sql, statement, data));
      } catch (e) {
        throw failure(e);
      }
    },
    monitor() {
      if (!monitor) {
        const conn = client(undefined, 'fmig monitor');
        lockClients.add(conn);
        monitor = session(conn);
      }
      return monitor;
    },
    async lock(options) {
      // The lock's connection names its holder for whoever waits: this process, its host and command.
      // In a fan-out, one an earlier run on this server released its lock on (and had checked).
      const reused = options.lease ? undefined : takeKept<postgres.Sql>(url);
      const conn = reused ?? client(undefined, holderName());
      lockClients.add(conn);
      try {
        // Before any session lock is taken: behind transaction pooling it would stay with a
        // pooled server connection, out of fmig's reach.
        if (!reused) await refuseTransactionPooling(conn, sql, url, display);
        if (options.lease) {
          const onLost = (message: string) => {
            fenced = message;
            options.onLost?.(message);
          };
          const held = await takeTableLock(conn, { ...options, onLost }, options.lease, holderName(), display);
          lease = { valid: held.valid, table: `${ident(options.schema)}.${LOCK_TABLE}`, fence: held.fence };
          const release = async () => {
            lease = null;
            await held.release();
          };
          return async () => {
            try {
              await release();
            } finally {
              lockClients.delete(conn);
              await conn.end({ timeout: 5 });
            }
          };
        }
        await waitForLock(conn, options, display);
      } catch (e) {
        lockClients.delete(conn);
        await conn.end({ timeout: 5 });
        throw scrub(e, password);
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        let unlocked = false;
        try {
          const [row] = await conn.unsafe(`select pg_advisory_unlock(${KEYS}) as ok`, [options.schema, options.table]);
          unlocked = row?.ok === true;
        } catch {
          // ending the connection below releases a session lock all the same
        } finally {
          lockClients.delete(conn);
          // Kept for the next run of a fan-out only when it surely holds no lock any more.
          if (!unlocked || !keep(url, conn)) await conn.end({ timeout: 5 });
        }
      };
    },
    async cancel() {
      // Only the oldest: on the one work connection, the statement the server is running. Those
      // queued behind it fail in the aborted transaction or are never sent (and postgres.js
      // mishandles a cancel of a statement queued in its pipeline).
      const [current] = running;
      await current?.cancel();
    },
    async abort() {
      closing = true;
      await Promise.all([sql, ...lockClients].map((c) => c.end({ timeout: 0 })));
      await Promise.allSettled([...inflight]);
      lockClients.clear();
    },
    async close() {
      await Promise.allSettled([...inflight]);
      closing = true;
      // Nothing is in flight: each connection sends Terminate and is done. Waiting for the server
      // to hang up as well (what a longer timeout does) costs a round trip and a backend's exit.
      await Promise.all([sql, ...lockClients].map((c) => c.end({ timeout: 0 })));
      lockClients.clear();
    },
  };
}

/**
 * `COPY ... FROM STDIN` through postgres.js's writable stream. When the server rejects the data
 * after CopyDone, postgres.js never settles the stream (porsager/postgres#1173); the error still
 * reaches the query's reject, which is watched here, so the failure comes back all the same.
 */
async function copyIn(sql: postgres.Sql, statement: string, data: string): Promise<void> {
  const query = sql.unsafe(statement) as unknown as { reject: (e: unknown) => void; writable(): Promise<NodeJS.WritableStream> };
  let fail: (e: unknown) => void = () => {};
  const rejected = new Promise<never>((_, reject) => {
    fail = reject;
  });
  rejected.catch(() => {});
  const reject = query.reject;
  query.reject = (e) => {
    fail(e);
    reject(e);
  };
  const stream = await query.writable();
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
  });
  const bytes = Buffer.from(data, 'utf8');
  const CHUNK = 1 << 20;
  for (let at = 0; at < bytes.length; at += CHUNK) stream.write(bytes.subarray(at, at + CHUNK));
  stream.end();
  await Promise.race([finished, rejected]);
}

async function waitForLock(conn: postgres.Sql, o: LockOptions, display: string): Promise<void> {
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Infinity;
  let lastReport = -Infinity;
  let holder = 'another session';
  for (;;) {
    const [row] = await conn.unsafe(`select pg_try_advisory_lock(${KEYS}) as ok`, [o.schema, o.table]);
    if (row.ok) return;
    holder = (await lockHolder(conn, o)) ?? holder;
    const now = Date.now();
    if (now >= deadline) {
      throw new UnreachableError(
        `timed out after ${formatMs(o.timeoutMs)} waiting for fmig's lock on ${display} (ledger ${o.schema}.${o.table}): held by ${holder}`,
        'another fmig is migrating this database; let it finish, or raise database.lock_wait (or --lock-wait)',
        'lock-timeout',
      );
    }
    if (o.onWait && now - lastReport >= WAIT_REPORT_MS) {
      lastReport = now;
      o.onWait(holder);
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - now)));
  }
}

/**
 * Refuses a pooler that hands each transaction a server connection of its own (PgBouncer's
 * transaction pooling): fmig's session lock and session settings would not stay with it.
 * Only a connection whose server listens on another port than the URL names goes through
 * something in between (inet_server_port); then fmig checks that each of its connections keeps
 * its own backend: while the work connection holds a transaction open, the lock connection
 * must still have the backend it had, never the work connection's, and must not have to wait.
 */
async function refuseTransactionPooling(lockConn: postgres.Sql, work: postgres.Sql, url: string, display: string): Promise<void> {
  const [first] = await lockConn.unsafe('select inet_server_port() as port, pg_backend_pid() as pid');
  if (first.port === null || Number(first.port) === urlPort(url)) return;
  let pooled = false;
  await work.begin(async (tx) => {
    const [{ pid: workPid }] = await tx.unsafe('select pg_backend_pid() as pid');
    if (workPid === first.pid) pooled = true;
    const again = lockConn.unsafe('select pg_backend_pid() as pid');
    const answer = await Promise.race([again.then(([r]) => r.pid as number), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
    // No answer while the work connection holds a server connection: they share a pool.
    if (answer === null || answer !== first.pid) pooled = true;
    if (answer === null) again.catch(() => {});
  });
  if (!pooled) return;
  throw new UnreachableError(
    `${display} goes through a pooler in transaction mode (PgBouncer's pool_mode = transaction): fmig's lock and session settings need a session of their own`,
    'set [database] direct_url in migrate.toml to a URL of the server itself (bypassing the pooler), used for migrating; or use session pooling',
    'transaction-pooling',
  );
}

function urlPort(url: string): number {
  try {
    return Number(new URL(url).port || 5432);
  } catch {
    return 5432;
  }
}

/**
 * The application_name of the lock's connection: `fmig <pid>@<host> <command>`, within the 63
 * bytes PostgreSQL keeps, passwords masked.
 */
function holderName(): string {
  const command = process.argv.slice(2).map(maskUrl).join(' ');
  const name = `fmig ${process.pid}@${os.hostname()} ${command}`.replace(/[^\x20-\x7e]/g, '?');
  return name.length > 63 ? name.slice(0, 62) + '~' : name;
}

/** Who holds the advisory lock, from pg_locks and pg_stat_activity; null when nobody does any more. */
async function lockHolder(conn: postgres.Sql, o: LockOptions): Promise<string | null> {
  const rows = await conn.unsafe(
    `select l.pid, a.application_name, a.usename, coalesce(a.state_change, a.backend_start) as since, a.client_addr::text as addr
       from pg_locks l left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid::int8 = (hashtext('fmig')::int8 & 4294967295)
        and l.objid::int8 = (hashtext(format('%I.%I', $1::text, $2::text))::int8 & 4294967295)`,
    [o.schema, o.table],
  );
  const r = rows[0];
  if (!r) return null;
  const since = r.since ? `since ${formatSince(new Date(r.since))}` : '';
  const fmig = /^fmig (\d+)@(\S+) ?(.*)$/.exec(String(r.application_name ?? ''));
  if (fmig) {
    const [, pid, host, command] = fmig;
    const about = [`fmig ${command}`.trim(), since, `server pid ${r.pid}`, r.usename ? `user ${r.usename}` : ''].filter(Boolean);
    return `pid ${pid} on host ${host} (${about.join(', ')})`;
  }
  const about = [
    r.application_name ? `application ${r.application_name}` : '',
    r.usename ? `user ${r.usename}` : '',
    r.addr ? `from ${r.addr}` : '',
    since,
  ].filter(Boolean);
  return `server pid ${r.pid}${about.length ? ` (${about.join(', ')})` : ''}`;
}

/** The table lock's fence refused: the lock is another process's now. */
function fenceFailed(e: unknown): boolean {
  return /fmig-lock-lost/.test(String((e as Error)?.message ?? ''));
}

/** What every statement throws once another process has taken fmig's table lock over. */
function lockLost(message: string): UnreachableError {
  return new UnreachableError(`${message}; stopped before its next statement (an open transaction is rolled back)`, 'check the state with `fmig status` once the other fmig has finished, then run the command again');
}

function connectionLost(display: string): UnreachableError {
  return new UnreachableError(
    `lost the connection to ${display}; its session settings and any open transaction are gone`,
    'check the state with `fmig status`, then run the command again',
  );
}

/**
 * Errors after which the connection is gone: postgres.js's own, the socket's, and the server's
 * FATAL ones (pg_terminate_backend is 57P01, a shutdown 57P01/57P02).
 */
export function isConnectionLoss(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const x = e as { code?: unknown; severity?: unknown };
  if (x.severity === 'FATAL' || x.severity === 'PANIC') return true;
  return typeof x.code === 'string' && /^(CONNECTION_(CLOSED|ENDED|DESTROYED)|ECONNRESET|EPIPE|ETIMEDOUT|57P0[123]|08[0-9A-Z]{3})$/.test(x.code);
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** Removes the password from a driver error's message, should a driver ever echo it. */
export function scrub(e: unknown, password: string): unknown {
  if (!password || !(e instanceof Error)) return e;
  const raw = encodeURIComponent(password);
  for (const p of new Set([password, raw])) {
    if (e.message.includes(p)) e.message = e.message.split(p).join('***');
    if (e.stack?.includes(p)) e.stack = e.stack.split(p).join('***');
  }
  return e;
}
