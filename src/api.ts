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
 * `up`, `down`, `status` and `verify` also run on the targets of migrate.toml (`targets`, `all`),
 * as `--target`/`--all` do: they then resolve to the fan-out's document (`FanOutResult`, the
 * `--json` of a fan-out, one entry per database or tenant schema with its exit code), emit a
 * `target` event as each run finishes, and throw only for what stops them all (bad input).
 *
 *   const { exitCode, targets } = await fmig.up({ targets: 'tenants', jobs: 8 });
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
import { FmigError, UsageError } from './core/errors.js';
import type { FanOutResult, TargetRunResult } from './targets/fan-out.js';
import type { Finding } from './core/findings.js';

export { ConfigError, DivergentHeads, DriftError, FmigError, FolderError, MigrationFailed, StateError, UnreachableError, UsageError } from './core/errors.js';
export type { ExitCode, FileProblem, HeadInfo } from './core/errors.js';
export { Interrupted } from './commands/interrupt.js';
export type { Finding, Skipped } from './core/findings.js';
export type {
  BaselineResult,
  FanOutResult,
  TargetRunResult,
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

/** Which targets of migrate.toml a command runs on, and how (`--target`, `--all`, `-j`, `--fail-fast`). */
export interface TargetsOptions {
  /** `--target`: one or more `[targets.<name>]`; a target with `schemas` makes one run per schema. */
  targets?: string | string[];
  /** `--all`: every target (not for `down`). */
  all?: boolean;
  /** `-j`: how many runs at once (default 4). */
  jobs?: number;
  /** `--fail-fast`: start no further run once one has failed. */
  failFast?: boolean;
}

/** Options naming targets: the command resolves to a FanOutResult. */
export type OnTargets = TargetsOptions & ({ targets: string | string[] } | { all: true });

export type StatusData = (StatusResult | FolderProblemsStatus) & { schemaDrift?: DiffResult | null };

/** fmig's commands on one project. Each call reads migrate.toml afresh. */
export interface Fmig {
  up(options: UpOptions & OnTargets): Promise<FanOutResult<UpResult>>;
  up(options?: UpOptions): Promise<UpResult>;
  down(options: DownOptions & OnTargets): Promise<FanOutResult<DownResult>>;
  down(options?: DownOptions): Promise<DownResult>;
  status(options: StatusOptions & OnTargets): Promise<FanOutResult<StatusData>>;
  status(options?: StatusOptions): Promise<StatusData>;
  /** On targets, `db: true` is needed: the checks without a database run once, then each run checks its ledger. */
  verify(options: Omit<VerifyOptions, 'format'> & OnTargets): Promise<FanOutResult<{ ok: boolean; findings: Finding[] }>>;
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
  /** A run of a command on targets finished (or a target's schemas could not be listed). */
  on(event: 'target', listener: (run: TargetRunResult) => void): this;
  off(event: 'progress', listener: (event: ProgressEvent) => void): this;
  off(event: 'target', listener: (run: TargetRunResult) => void): this;
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

  // The overloads of Fmig give each call's type: one database's result, or a fan-out's.
  async up(options?: UpOptions & TargetsOptions): Promise<any> {
    const { rest, on } = splitTargets(options);
    return this.#onTargets('up', on, async (ctx) => ({ result: await (await import('./commands/up.js')).up(ctx, rest) }));
  }
  async down(options?: DownOptions & TargetsOptions): Promise<any> {
    const { rest, on } = splitTargets(options);
    return this.#onTargets('down', on, async (ctx) => ({ result: await (await import('./commands/down.js')).down(ctx, rest) }));
  }
  async status(options?: StatusOptions & TargetsOptions): Promise<any> {
    const { rest, on } = splitTargets(options);
    return this.#onTargets('status', on, async (ctx) =>
      rest.drift ? (await import('./commands/status-drift.js')).statusWithDrift(ctx, {}) : (await import('./commands/status.js')).status(ctx, {}),
    );
  }
  async verify(options?: Omit<VerifyOptions, 'format'> & TargetsOptions): Promise<any> {
    const { rest, on } = splitTargets(options);
    const verifyOptions: VerifyOptions = { ...rest, format: 'text' };
    return this.#onTargets('verify', on, async (ctx) => (await import('./commands/verify.js')).verify(ctx, verifyOptions), verifyOptions);
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

  /**
   * A command that may run on targets: without any named, the command's own result, as before;
   * with some, through the fan-out of the command line (targets/fan-out.ts), its document.
   */
  async #onTargets(
    command: 'up' | 'down' | 'status' | 'verify',
    on: TargetsOptions | null,
    run: (ctx: Context) => Promise<{ result: unknown; exitCode?: number }>,
    verify?: VerifyOptions,
  ): Promise<unknown> {
    if (on === null) return this.#run(async (ctx) => (await run(ctx)).result);
    return this.#run(async (ctx) => {
      if (this.#options.url !== undefined) throw new UsageError('url and targets/all both name a database: give one of them', 'a target without url uses the configured database (FMIG_DATABASE_URL, DATABASE_URL, database.url)');
      const { onTargets } = await import('./targets/fan-out.js');
      const { errorJson } = await import('./cli-error-json.js');
      const names = on.targets === undefined ? [] : Array.isArray(on.targets) ? on.targets : [on.targets];
      const { result } = await onTargets(
        ctx,
        {
          command,
          names,
          all: !!on.all,
          jobs: on.jobs === undefined ? undefined : String(on.jobs),
          failFast: !!on.failFast,
          verify,
          errorJson,
          alwaysFanOut: true,
          onRun: (r) => this.emit('target', r),
        },
        run,
      );
      return result;
    });
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

/** The target options apart from the command's own; null when none names a target. */
function splitTargets<O extends object>(options: (O & TargetsOptions) | undefined): { rest: O; on: TargetsOptions | null } {
  const { targets, all, jobs, failFast, ...rest } = options ?? ({} as O & TargetsOptions);
  const named = targets !== undefined || !!all;
  if (!named && (jobs !== undefined || failFast !== undefined)) throw new UsageError('jobs and failFast go with targets or all', 'name the targets: { targets: "tenants" } or { all: true }');
  return { rest: rest as O, on: named ? { targets, all, jobs, failFast } : null };
}

/** What the command line reports for a statement of fmig's own that the database refused, as an error to catch. */
function asFmigError(e: unknown): unknown {
  if (e instanceof FmigError) return e;
  const db = toDbError(e);
  if (!db) return e;
  const what = `the database refused: ${db.message}${db.sqlstate ? ` (SQLSTATE ${db.sqlstate})` : ''}${db.detail ? `; ${db.detail}` : ''}`;
  return new FmigError('database', what, 1, db.hint, { sqlstate: db.sqlstate ?? null, detail: db.detail ?? null });
}
