/** The settings of migrate.toml after defaults, environment and flags (SPEC section 5). */
export interface Config {
  /** Absolute path of the migrate.toml read, or null when none was found (defaults apply). */
  file: string | null;
  /** The project root: migrate.toml's directory, or the working directory when there is none. */
  root: string;
  /** Absolute path of the revisions folder. */
  dir: string;
  database: {
    url: string;
    /** Where the URL came from: `--url`, `FMIG_DATABASE_URL`, `database.direct_url`, `DATABASE_URL`, `database.url` or `default`. */
    urlSource: string;
    /** `database.direct_url`: the server itself, bypassing a transaction-pooling PgBouncer, for migrating; null when unset. */
    directUrl: string | null;
    schema: string;
    table: string;
    /** How long to wait for another fmig holding fmig's lock (`lock_wait`, `--lock-wait`); 0 = as long as it takes. */
    lockWaitMs: number;
    /** How long one statement of a revision waits for a table lock (`lock_timeout`); 0 = as long as it takes. */
    lockTimeoutMs: number;
    /** How many times a revision that timed out on a lock is tried again (`lock_retries`). */
    lockRetries: number;
    statementTimeoutMs: number;
    /** `lock`: fmig's lock as an advisory lock (the default) or, for servers without them, a leased row in `fmig_lock`. */
    lock: 'advisory' | 'table';
    /** `lock_lease`: with lock = "table", how long a holder that stopped heartbeating keeps the lock. */
    lockLeaseMs: number;
    /** `lock_heartbeat`: with lock = "table", how often the holder renews its lease. */
    lockHeartbeatMs: number;
  };
  git: {
    /** The published ref; null when not configured (then `origin/main`, or `main` without a remote). */
    main: string | null;
  };
  schema: {
    /** `[schema] files`: a glob, relative to the project root, of the files describing the wanted schema; null when unset. */
    files: string | null;
  };
}
