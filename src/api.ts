/**
 * fmig as a library: `import { open } from 'fmig'`. The commands as functions returning what
 * `--json` prints, progress as events, errors as typed classes carrying the exit code the
 * command line would give (1 wrong state, 2 bad input, 3 database or lock unavailable), and no
 * printing. Built on the same command functions the command line runs.
 *
 *   const fmig = open({ cwd: projectDir, url: 'pglite://memory' });
 *   fmig.on('progress', (e) => console.log(e.message));
 *   const { applied } = await fmig.up();
 *
 * Where the command line would exit 1 with findings (verify, status --check, check, diff), the
 * data says so (`ok: false`, `drift: true`) and nothing is thrown. While `up`, `down` and `sync`
 * run, SIGINT and SIGTERM stop them cleanly (the running statement cancelled, Interrupted thrown).
 */
import { EventEmitter } from 'node:events';
import type { Config } from './adapters/config-types.js';
import { toDbError } from './adapters/db/driver.js';
import type { Context, Reporter } from './commands/context.js';
import { leaveProcessSettingsAlone } from './commands/tuning.js';
import type { BaselineResult } from './commands/baseline.js';
import type { CheckResult } from './commands/check.js';
import type { DiffResult } from './commands/diff.js';
import type { DownOptions, DownResult } from './commands/down.js';
import type { HeadsResult } from './commands/heads.js';
import type { HistoryResult } from './commands/history.js';
import type { RepairResult } from './commands/repair.js';
import type { SchemaResult } from './commands/schema.js';
import type { StatusResult } from './commands/status.js';
import type { FolderProblemsStatus } from './commands/status-problems.js';
import type { SyncOptions, SyncResult } from './commands/sync.js';
import type { UpOptions, UpResult } from './commands/up.js';
import type { VerifyOptions, VerifyResult } from './commands/verify.js';
import type { WaitOptions, WaitResult } from './commands/wait.js';
import { FmigError } from './core/errors.js';

export { ConfigError, DivergentHeads, DriftError, FmigError, FolderError, MigrationFailed, StateError, UnreachableError, UsageError } from './core/errors.js';
export type { ExitCode, FileProblem, HeadInfo } from './core/errors.js';
export { Interrupted } from './commands/interrupt.js';
export type { Finding, Skipped } from './core/findings.js';
export type {
  BaselineResult,
  CheckResult,
  DiffResult,
  DownOptions,
  DownResult,
  FolderProblemsStatus,
  HeadsResult,
  HistoryResult,
  RepairResult,
  SchemaResult,
  StatusResult,
  SyncOptions,
  SyncResult,
  UpOptions,
  UpResult,
  VerifyOptions,
  VerifyResult,
  WaitOptions,
  WaitResult,
};

export interface OpenOptions {
  /** The directory commands run in: migrate.toml is found by walking up from it. Default: process.cwd(). */
  cwd?: string;
  /** A migrate.toml to read instead of searching (`--config`), relative to cwd. */
  config?: string;
  /** The database URL (`--url`): wins over every other source. */
  url?: string;
  /** How long to wait for another fmig holding fmig's lock (`--lock-wait`), e.g. "30s". */
  lockWait?: string;
  /** The environment `${VAR}`s and DATABASE_URL are read from. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Told of every progress event, as `on('progress', ...)` is. */
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * What a command tells while it runs: `progress` (transient, e.g. "applying 000042_x"), `info`
 * (a line the command line prints on stdout, e.g. "applied 000042_x (12 ms)"), `warning`.
 */
export interface ProgressEvent {
  kind: 'progress' | 'info' | 'warning';
  message: string;
}

export interface StatusOptions {
  /** Also compare the database's schema with what its applied revisions give (replays them). */
  drift?: boolean;
}

export type StatusData = (StatusResult | FolderProblemsStatus) & { schemaDrift?: DiffResult | null };

/** fmig's commands on one project. Each call reads migrate.toml afresh. */
export interface Fmig {
  up(options?: UpOptions): Promise<UpResult>;
  down(options?: DownOptions): Promise<DownResult>;
  status(options?: StatusOptions): Promise<StatusData>;
  verify(options?: Omit<VerifyOptions, 'format'>): Promise<VerifyResult>;
  check(): Promise<CheckResult>;
  schema(): Promise<SchemaResult>;
  diff(): Promise<DiffResult>;
  history(): Promise<HistoryResult>;
  heads(): Promise<HeadsResult>;
  baseline(revision: string): Promise<BaselineResult>;
  repair(options?: { yes?: boolean; prune?: boolean }): Promise<RepairResult>;
  sync(options?: SyncOptions): Promise<SyncResult>;
  wait(options?: WaitOptions): Promise<WaitResult>;
  on(event: 'progress', listener: (event: ProgressEvent) => void): this;
  off(event: 'progress', listener: (event: ProgressEvent) => void): this;
}

/** fmig on the project around `options.cwd`. Opens nothing until a command runs. */
export function open(options: OpenOptions = {}): Fmig {
  leaveProcessSettingsAlone();
  return new Project(options);
}

class Project extends EventEmitter implements Fmig {
  readonly #options: OpenOptions;
  constructor(options: OpenOptions) {
    super();
    this.#options = options;
    if (options.onProgress) this.on('progress', options.onProgress);
  }

  up(options: UpOptions = {}) {
    return this.#run(async (ctx) => (await import('./commands/up.js')).up(ctx, options));
  }
  down(options: DownOptions = {}) {
    return this.#run(async (ctx) => (await import('./commands/down.js')).down(ctx, options));
  }
  status(options: StatusOptions = {}): Promise<StatusData> {
    return this.#run(async (ctx) =>
      options.drift
        ? ((await import('./commands/status-drift.js')).statusWithDrift(ctx, {})).then((r) => r.result)
        : ((await import('./commands/status.js')).status(ctx, {})).then((r) => r.result),
    );
  }
  verify(options: Omit<VerifyOptions, 'format'> = {}) {
    return this.#run(async (ctx) => (await (await import('./commands/verify.js')).verify(ctx, { ...options, format: 'text' })).result);
  }
  check() {
    return this.#run(async (ctx) => (await (await import('./commands/check.js')).check(ctx)).result);
  }
  schema() {
    return this.#run(async (ctx) => (await import('./commands/schema.js')).schema(ctx));
  }
  diff() {
    return this.#run(async (ctx) => (await (await import('./commands/diff.js')).diff(ctx)).result);
  }
  history() {
    return this.#run(async (ctx) => (await import('./commands/history.js')).history(ctx));
  }
  heads() {
    return this.#run(async (ctx) => (await import('./commands/heads.js')).heads(ctx));
  }
  baseline(revision: string) {
    return this.#run(async (ctx) => (await import('./commands/baseline.js')).baseline(ctx, { revision }));
  }
  repair(options: { yes?: boolean; prune?: boolean } = {}) {
    return this.#run(async (ctx) => (await (await import('./commands/repair.js')).repair(ctx, options)).result);
  }
  sync(options: SyncOptions = {}) {
    return this.#run(async (ctx) => (await import('./commands/sync.js')).sync(ctx, options));
  }
  wait(options: WaitOptions = {}) {
    return this.#run(async (ctx) => (await import('./commands/wait.js')).wait(ctx, options));
  }

  /** Runs a command with a context that reports through events; turns a database's own error into an FmigError. */
  async #run<T>(command: (ctx: Context) => Promise<T>): Promise<T> {
    try {
      return await command(this.#context());
    } catch (e) {
      throw asFmigError(e);
    }
  }

  #context(): Context {
    const o = this.#options;
    const cwd = o.cwd ?? process.cwd();
    const env = o.env ?? process.env;
    const emit = (kind: ProgressEvent['kind'], message: string) => {
      if (message) this.emit('progress', { kind, message } satisfies ProgressEvent);
    };
    const report: Reporter = { line: (m) => emit('info', m), warn: (m) => emit('warning', m), progress: (m) => emit('progress', m) };
    let config: Promise<Config> | undefined;
    return {
      cwd,
      env,
      report,
      json: false,
      config: () => (config ??= import('./adapters/config.js').then(({ loadConfig }) => loadConfig({ cwd, configPath: o.config, url: o.url, lockWait: o.lockWait, env }))),
    };
  }
}

/** What the command line reports for a statement of fmig's own that the database refused, as an error to catch. */
function asFmigError(e: unknown): unknown {
  if (e instanceof FmigError) return e;
  const db = toDbError(e);
  if (!db) return e;
  const what = `the database refused: ${db.message}${db.sqlstate ? ` (SQLSTATE ${db.sqlstate})` : ''}${db.detail ? `; ${db.detail}` : ''}`;
  return new FmigError('database', what, 1, db.hint, { sqlstate: db.sqlstate ?? null, detail: db.detail ?? null });
}
