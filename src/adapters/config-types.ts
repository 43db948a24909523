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
  lint: {
    /** `[lint] postgres`: the server version that version-dependent lint rules assume. */
    postgres: number;
    /** `[lint.rules]`: a rule's code → "off", "warning" or "error"; rules not named keep their default severity. */
    rules: Record<string, 'off' | 'warning' | 'error'>;
  };
  backup: {
    /** `[backup] before_up`: `fmig up` takes a backup first when something is pending. */
    beforeUp: boolean;
    /** `[backup] pg_dump`: the pg_dump to run; null = the one on PATH. */
    pgDump: string | null;
    /** `[backup] dir`, absolute: where backups go by default (`.fmig/backups`). */
    dir: string;
    /** `[backup] keep`: how many backups of a database stay after a new one; null = all. */
    keep: number | null;
  };
  /** `[targets.<name>]`, in the order migrate.toml has them. */
  targets: TargetSettings[];
  /**
   * When `dir` is a glob: every folder it matches. `dir` and `database.table` are then those of
   * the folder the working directory is in, or, outside all of them, `dir` is the glob itself.
   */
  folders: FolderSettings[] | null;
  /** Set when the command runs for one target (and tenant schema): see targets/. */
  target?: TargetRun;
}

// ---- Targets: [targets.<name>] (several databases, one schema per tenant) ----

/** A `[targets.<name>]` table: another database, or one run per schema on a server. */
export interface TargetSettings {
  name: string;
  /** The target's database (its `direct_url` wins over its `url`); null: the configured database's URL. */
  url: string | null;
  /** Where `url` came from, for messages: `targets.<name>.url` or `targets.<name>.direct_url`. */
  urlSource: string | null;
  /** One run per schema: the names, or a query on the target's server returning them; null: one run. */
  schemas: { names: string[] } | { query: string } | null;
  /** The `[database]` keys this target sets; the rest come from `[database]`. */
  database: Partial<Pick<Config['database'], 'schema' | 'table' | 'lockWaitMs' | 'lockTimeoutMs' | 'lockRetries' | 'statementTimeoutMs' | 'lock' | 'lockLeaseMs' | 'lockHeartbeatMs'>>;
  /** What is wrong with this target's values (an unset `${VAR}`): an error only when the target is used. */
  problems: string[];
}

/** The settings of one run of a target: set on the Config the command gets. */
export interface TargetRun {
  /** The target's name. */
  name: string;
  /** The tenant's schema: the work session's search_path, and where its ledger lives; null for a whole database. */
  schema: string | null;
  /** The commit checked out, read once for all the runs (the ledger records it); undefined: read it. */
  gitCommit?: string | null;
}

// ---- Folders: `dir` as a glob, one project per folder (monorepos) ----

/** One folder a glob `dir` matches. */
export interface FolderSettings {
  /** Absolute path. */
  dir: string;
  /** Its path relative to the project root: how output names it. */
  label: string;
  /** Its own ledger table (in the ledger's schema): `<table>_<what the wildcards matched>`. */
  table: string;
  /** The directory its wildcards end in (services/billing for services/*\/sql): commands run inside it use this folder. */
  project: string;
}
