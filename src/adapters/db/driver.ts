/**
 * The one interface fmig needs from a database, implemented by postgres.js (`postgres://`)
 * and PGlite (`pglite://`). Named after what the ledger and the runner do with it.
 */
import type { StatementError } from '../../core/failure.js';

/** A PostgreSQL error, whichever driver raised it. */
export type DbError = StatementError;

export interface Session {
  /** Runs one statement with `$1`-style parameters; rows come back as objects. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of any number of statements with the simple query protocol. */
  exec(sql: string): Promise<void>;
}

export interface LockOptions {
  /** Ledger schema and table: the lock is keyed on them. */
  schema: string;
  table: string;
  timeoutMs: number;
  /** Called (once, then every few seconds) while another process holds the lock, with who holds it. */
  onWait?: (holder: string) => void;
  /**
   * `[database] lock = "table"`: the lock is a row with a lease in `fmig_lock` (table-lock.ts)
   * instead of an advisory lock, for servers without advisory locks. Servers only.
   */
  lease?: { leaseMs: number; heartbeatMs: number };
  /** Table lock: told who held the lock row taken over because its lease ran out. */
  onTakeOver?: (holder: string) => void;
  /** Table lock: told that another process took the lock over (this one's heartbeat came too late). */
  onLost?: (message: string) => void;
}

export interface Driver extends Session {
  readonly kind: 'postgres' | 'pglite';
  /** The embedded database (PGlite). */
  readonly embedded: boolean;
  /** The URL with any password masked, for messages. */
  readonly display: string;
  /** Runs `fn` in one transaction on the work connection: commit when it returns, rollback when it throws. */
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
  /**
   * Runs `scripts` in one transaction, each as its own statement message (so an error's
   * position points into it), and commits; at the first failure it rolls back and throws
   * ScriptFailed naming that script. On a server, BEGIN is confirmed first, then every script
   * and the COMMIT go in one round trip: a failure aborts the transaction on the server, so
   * what follows it does nothing and the COMMIT never runs.
   */
  transact(scripts: readonly string[]): Promise<void>;
  /**
   * Runs a `COPY ... FROM STDIN` statement on the work connection and feeds it `data` (the
   * lines as written in the file) through the COPY protocol, as psql does.
   */
  copyFrom(statement: string, data: string): Promise<void>;
  /**
   * A second connection for looking at the server while the work connection waits (who blocks
   * it), opened on first use; null where nothing else can hold a lock (PGlite).
   */
  monitor(): Session | null;
  /** Takes the writers' lock of SPEC section 4 for the whole command; resolves to its release. Throws UnreachableError (exit 3) on timeout. */
  lock(options: LockOptions): Promise<() => Promise<void>>;
  /**
   * Asks the server to cancel the statements running on the work connection (they fail with
   * SQLSTATE 57014, and their transaction rolls back as with any failure). Absent where a
   * statement cannot be cancelled (PGlite runs it to its end in this process).
   */
  cancel?(): Promise<void>;
  /**
   * The embedded database only: its whole data directory as a gzipped tar (PGlite's
   * dumpDataDir), taken after a checkpoint, between statements. Absent on a server (pg_dump).
   */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Directory that relative `pglite://` paths are resolved against (migrate.toml's). */
  baseDir: string;
  /** Applied to the work session as `lock_timeout`; 0 = none. */
  lockTimeoutMs: number;
  /** How long to wait for another process holding the embedded database's lock file; lockTimeoutMs when absent. 0 = as long as it takes. */
  lockWaitMs?: number;
  /** Applied to the work session as `statement_timeout`; 0 = none. */
  statementTimeoutMs: number;
  /** Told about slow set-up (creating the embedded database) on a TTY. */
  onProgress?: (message: string) => void;
  /** The revision folder: the embedded database loads the contrib extensions its files name (and those it has), not all. */
  sqlDir?: string;
  /** The ledger, which the embedded database keeps a copy of in its state file when it closes. */
  ledger?: { schema: string; table: string };
  /** Told what the user should see even in a log: waiting for another process's lock, taking over a dead one's. */
  onNotice?: (message: string) => void;
  /** A tenant's schema: the work session's search_path, so that revisions create their objects there. */
  searchPath?: string;
}

/** A script of Driver.transact failed; the transaction was rolled back. */
export class ScriptFailed extends Error {
  constructor(
    /** Which of the scripts. */
    readonly index: number,
    /** What the driver threw for it. */
    readonly reason: unknown,
  ) {
    super((reason as Error)?.message ?? String(reason));
  }
}

/** Reads the PostgreSQL error fields from whatever a driver threw; null when it is not a database error. */
export function toDbError(e: unknown): DbError | null {
  if (!e || typeof e !== 'object') return null;
  const x = e as Record<string, unknown>;
  // Both drivers' database errors carry a severity; Node's own (EPIPE, EBUSY ...) do not.
  if (x.severity === undefined) return null;
  const code = typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) ? x.code : undefined;
  const pos = x.position === undefined || x.position === null || x.position === '' ? undefined : Number(x.position);
  return {
    sqlstate: code,
    message: String(x.message ?? e),
    detail: typeof x.detail === 'string' && x.detail ? x.detail : undefined,
    hint: typeof x.hint === 'string' && x.hint ? x.hint : undefined,
    position: Number.isFinite(pos) ? pos : undefined,
    where: typeof x.where === 'string' && x.where ? x.where : undefined,
  };
}

/** The writers' advisory lock's two int4 keys (SPEC section 4): fmig's, and the ledger's quoted `schema.table` given as $1 and $2. */
export const LOCK_KEYS = `hashtext('fmig'), hashtext(format('%I.%I', $1::text, $2::text))`;

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/**
 * Masks the password of the URL in `text` for display. Where what stands between `://` and
 * the last `@` is not a plain `user:password` (a password holding `@`, `/`, `?`, `#` that was
 * not percent-encoded, which parsers read differently), all of it is masked: no way of
 * reading the URL can then show a piece of the password.
 */
export function maskUrl(text: string): string {
  const m = /([a-z][a-z0-9+.-]*:\/\/)([^]*)@/i.exec(text);
  if (!m) return text;
  const info = m[2];
  const plain = /^([^:/?#@\s]*)(:[^/?#@]*)?$/.exec(info);
  if (plain && !plain[2]) return text;
  const shown = plain ? `${plain[1]}:***` : '***';
  return text.slice(0, m.index) + m[1] + shown + '@' + text.slice(m.index + m[0].length);
}

/**
 * Whether the URL's user and password hold a character that must be percent-encoded there
 * (`/`, `?`, `#`): drivers would read part of the password as the host, port or database.
 */
export function needsEncoding(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^]*)@/i.exec(url);
  return !!m && /[/?#\s]/.test(m[1]);
}
