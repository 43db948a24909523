/**
 * A command over several targets at once (`--target`, `--all`): every run in this process, at
 * most `-j` at a time, each with its own connection, session (search_path) and fmig lock, all
 * sharing the parsed folder. One run failing does not stop the others (unless `--fail-fast`);
 * the exit code is the worst of them.
 */
import { maskUrl, toDbError } from '../adapters/db/driver.js';
import { relative } from 'node:path';
import type { Config, FolderSettings } from '../adapters/config-types.js';
import type { Context, Reporter } from '../commands/context.js';
import type { SharedFolders } from '../commands/project.js';
import type { VerifyOptions } from '../commands/verify.js';
import { FmigError, UsageError } from '../core/errors.js';
import { gist, outcomeLine, summarise, summaryLines, worst, type Outcome } from './outcome.js';
import { runPool } from './pool.js';
import { isFanOut, selectTargets, type Selection } from './select.js';
import { expandUnits, unitConfig, type Unit } from './units.js';

/** The commands that run on many targets at once; the others take `--target` naming one database. */
const FAN_OUT = new Set(['up', 'down', 'status', 'verify']);
const DEFAULT_JOBS = 4;

type Run = (ctx: Context) => Promise<{ result: unknown; exitCode?: number; output?: string }>;

export interface TargetOptions extends Selection {
  /** The command's name (not an alias). */
  command: string;
  /** `-j`: runs at once. */
  jobs?: string;
  /** `--fail-fast`: start no further run after one fails. */
  failFast: boolean;
  /** For verify: its options (the checks without a database run once; the ledger per run). */
  verify?: VerifyOptions;
  /** How `--json` shows an error. */
  errorJson(e: FmigError): Record<string, unknown>;
  /** A fan-out even for one target without schemas (the API: one shape of result whatever was named). */
  alwaysFanOut?: boolean;
  /** Told of each run as it finishes (and of a target whose schemas could not be listed). */
  onRun?: (run: TargetRunResult) => void;
}

/** One run of a fan-out, as `--json` shows it: a database, or one tenant's schema. */
export interface TargetRunResult<R = unknown> {
  target: string | null;
  schema: string | null;
  /** The folder's path, when `dir` is a glob. */
  folder: string | null;
  /** The database, password masked; null when the run never got one (its target's schemas could not be listed). */
  database: string | null;
  state: 'ok' | 'failed' | 'not run';
  /** The exit code a lone fmig would have given for this run. */
  exitCode: number;
  ms: number;
  /** One line: `applied 3 (000001_a … 000003_c)`, `up to date`, the error's gist. */
  summary: string;
  /** The command's own result for this run. */
  result?: R;
  /** For a failed run: the error as a lone fmig's `--json` shows it. */
  error?: { code: string; message: string; hint: string | null; exitCode: number; [field: string]: unknown };
}

/** What a command over several targets gives: the document `--json` prints. */
export interface FanOutResult<R = unknown> {
  command: string;
  /** Every run ok (and, for verify, the checks without a database). */
  ok: boolean;
  /** The worst exit code of the runs: 3 unreachable over 2 bad input over 1 wrong state over 0. */
  exitCode: number;
  counts: { runs: number; ok: number; failed: number; notRun: number };
  /** verify: the result of the checks that need no database (one per folder when `dir` is a glob). */
  verify?: unknown;
  /** One per run, in target then schema order. */
  targets: TargetRunResult<R>[];
}

/** Runs the command on the selected targets; resolves to the result `--json` prints and the exit code. */
export async function onTargets(ctx: Context, opts: TargetOptions, run: Run): Promise<{ result: FanOutResult | unknown; exitCode: number; output?: string }> {
  const config = await ctx.config();
  const selected = opts.all || opts.names.length > 0;
  if (!FAN_OUT.has(opts.command) && (opts.all || opts.names.length > 1)) {
    throw new UsageError(`${opts.command} runs on one database: --target must name one target without schemas`, '`up`, `down`, `status` and `verify --db` run on several targets at once');
  }
  const chosen = selected ? selectTargets(config, opts, ctx.cwd) : [];
  // A glob `dir` run from outside every folder it matches: every folder, each a project of its own.
  const manyFolders = config.folders && !config.folders.some((f) => f.dir === config.dir) ? config.folders : null;
  const jobs = parseJobs(opts.jobs);
  if (!manyFolders && !(selected && (opts.alwaysFanOut || isFanOut(opts, chosen)))) {
    // No targets, or one without schemas: the command as it always runs, on that database.
    const { result, exitCode, output } = await run(selected ? unitContext(ctx, unitConfig(config, chosen[0], null), ctx.report) : ctx);
    return { result, exitCode: exitCode ?? 0, output };
  }
  if (!FAN_OUT.has(opts.command)) {
    throw new UsageError(
      manyFolders
        ? `${opts.command} runs on one folder, and dir = "${relative(config.root, config.dir)}" matches ${manyFolders.length}: run it inside one of them (${manyFolders.map((f) => f.label).join(', ')})`
        : `${opts.command} runs on one database: --target must name one target without schemas`,
      '`up`, `down`, `status` and `verify` run on several folders and targets at once',
    );
  }
  if (opts.command === 'down' && opts.all) {
    throw new UsageError('down --all: reverting every target at once is not done on purpose', 'name the targets to revert: `fmig down --target <name>` (repeatable)');
  }
  if (opts.command === 'down' && manyFolders) {
    throw new UsageError(`down reverts in one folder at a time: run it inside one of ${manyFolders.map((f) => f.label).join(', ')}`);
  }
  if (opts.command === 'verify' && selected && !opts.verify?.db) {
    throw new UsageError(`verify ${opts.all ? '--all' : '--target'} checks each target's ledger: add --db`, 'without --db, verify needs no database: `fmig verify`');
  }

  const folderList = manyFolders ?? [null];
  const folderConfig = (c: Config, f: FolderSettings | null): Config =>
    f === null ? c : { ...c, dir: f.dir, database: { ...c.database, table: c.database.table === config.database.table ? f.table : c.database.table + f.table.slice(config.database.table.length) } };
  const shared: SharedFolders = new Map();
  const before: { result: unknown; exitCode: number }[] = [];
  // verify over targets: the folder and git checks do not depend on the database, so they run
  // once per folder, and each run checks only its ledger.
  const ledgerOnly = opts.command === 'verify' && selected;
  if (ledgerOnly) {
    const { verify } = await import('../commands/verify.js');
    for (const f of folderList) {
      if (f) ctx.report.line(`${f.label}:`);
      before.push(await verify(f ? { ...ctx, config: () => Promise.resolve(folderConfig(config, f)) } : ctx, { ...opts.verify, db: false }));
    }
  } else if (opts.command === 'up' || opts.command === 'down') {
    // Bad revision files stop everything before any database is touched (exit 2).
    const { loadFolder } = await import('../commands/project.js');
    for (const f of folderList) await loadFolder(folderConfig(config, f), { listDowns: opts.command === 'up', shared });
  }

  const started = Date.now();
  // Read once, not once per run: every run records the same checked-out commit.
  const gitCommit = opts.command === 'up' || opts.command === 'down' ? await (await import('../adapters/git-head.js')).headCommit(config.root) : undefined;
  const expanded = selected ? await expandUnits(config, chosen, gitCommit) : { units: [{ target: null, schema: null, label: '', config }], failed: [] };
  const failed = expanded.failed;
  const units: Unit[] = expanded.units.flatMap((u) =>
    folderList.map((f) => ({ ...u, folder: f?.label ?? null, label: [u.label, f?.label].filter(Boolean).join(' '), config: folderConfig(u.config, f) })),
  );
  const width = Math.min(40, Math.max(0, ...units.map((u) => u.label.length), ...failed.map((f) => f.target.length)));
  const outcomes: Outcome[] = [];
  for (const f of failed) {
    const o = { ...failedOutcome(f.error, opts), target: f.target, schema: null, folder: null, label: f.target, database: null, ms: 0 };
    outcomes.push(o);
    ctx.report.line(outcomeLine(o, width));
    opts.onRun?.(runJson(o));
  }

  let stopping: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (stopping) return;
    stopping = s;
    ctx.report.warn(`${s}: no further target starts; those running stop as a single fmig would`);
  };
  process.setMaxListeners(Math.max(process.getMaxListeners(), jobs * 2 + 10));
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const closeKept = (await import('../adapters/db/kept-connections.js')).keepLockConnections();
  let done = 0;
  let anyFailed = failed.length > 0;
  let results: (Outcome | undefined)[];
  try {
    results = await runPool(
      units,
      jobs,
      // An embedded database can be open once at a time: its runs go one after another.
      (u) => (u.config.database.url.startsWith('pglite://') && u.config.database.url !== 'pglite://memory' ? u.config.database.url : null),
      async (u) => {
        const o = await runUnit(ctx, u, opts, run, shared);
        ctx.report.line(outcomeLine(o, width));
        // A folder's own verify: its findings, as `fmig verify` in that folder prints them.
        for (const line of o.lines ?? []) ctx.report.line(`  ${line}`);
        ctx.report.progress(`${++done}/${units.length} done`);
        opts.onRun?.(runJson(o));
        return o;
      },
      () => stopping !== null || (opts.failFast && anyFailed),
    );
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await closeKept();
  }
  const why = stopping ? `interrupted by ${stopping}` : '--fail-fast';
  for (const [i, u] of units.entries()) {
    outcomes.push(results[i] ?? { target: u.target, schema: u.schema, folder: u.folder ?? null, label: u.label, database: maskUrl(u.config.database.url), state: 'not run', exitCode: 0, ms: 0, summary: `not run (${why})` });
  }
  for (const line of summaryLines(outcomes, Date.now() - started)) ctx.report.line(line);
  const exitCode = worst([...before.map((b) => b.exitCode), ...outcomes.map((o) => o.exitCode), stopping ? (stopping === 'SIGTERM' ? 143 : 130) : 0]);
  const targets = outcomes.map(runJson);
  const counts = { runs: outcomes.filter((o) => o.state !== 'not run').length, ok: outcomes.filter((o) => o.state === 'ok').length, failed: outcomes.filter((o) => o.state === 'failed').length, notRun: outcomes.filter((o) => o.state === 'not run').length };
  const result: FanOutResult = { command: opts.command, ok: exitCode === 0, exitCode, counts, ...(before.length ? { verify: before.length === 1 ? before[0].result : before.map((b) => b.result) } : {}), targets };
  return { result, exitCode };

  /** One run: the command with the unit's settings; whatever it throws becomes its outcome. */
  async function runUnit(parent: Context, u: Unit, o: TargetOptions, cmd: Run, shared: SharedFolders): Promise<Outcome> {
    const base = { target: u.target, schema: u.schema, folder: u.folder ?? null, label: u.label, database: maskUrl(u.config.database.url) };
    const t0 = performance.now();
    const lines: string[] = [];
    const keep = o.command === 'verify' && !ledgerOnly;
    const quiet: Reporter = { line: (text) => keep && lines.push(text), progress() {}, warn: (text) => parent.report.warn(`${u.label}: ${text}`) };
    const uctx = { ...unitContext(parent, u.config, quiet), folders: shared };
    try {
      const { result, exitCode = 0 } = ledgerOnly ? await ledgerCheck(uctx, u.config, o.verify ?? {}) : await cmd(uctx);
      if (exitCode !== 0) anyFailed = true;
      return { ...base, state: exitCode === 0 ? 'ok' : 'failed', exitCode, ms: performance.now() - t0, summary: summarise(o.command, result), result, lines: lines.slice(0, -1) };
    } catch (e) {
      anyFailed = true;
      return { ...base, ...failedOutcome(e, o), ms: performance.now() - t0 };
    }
  }
}

/** A run as `--json` shows it. */
function runJson(o: Outcome): TargetRunResult {
  return {
    target: o.target,
    schema: o.schema,
    folder: o.folder,
    database: o.database,
    state: o.state,
    exitCode: o.exitCode,
    ms: Math.round(o.ms),
    summary: o.summary,
    ...(o.result !== undefined ? { result: o.result } : {}),
    ...(o.error ? { error: o.error as TargetRunResult['error'] } : {}),
  };
}

function unitContext(ctx: Context, config: Config, report: Reporter): Context {
  return { cwd: ctx.cwd, env: ctx.env, json: ctx.json, report, config: () => Promise.resolve(config) };
}

/** `verify --db` for one run: the ledger against the folder (the rest of verify ran once). */
async function ledgerCheck(ctx: Context, config: Config, opts: VerifyOptions): Promise<{ result: unknown; exitCode: number }> {
  const [{ loadFolder, withDatabase }, { compare }, { driftFindings }, { failing }, { relative }] = await Promise.all([
    import('../commands/project.js'),
    import('../core/drift.js'),
    import('../core/verify-rules.js'),
    import('../core/findings.js'),
    import('node:path'),
  ]);
  const folder = await loadFolder(config, { shared: ctx.folders });
  const dirRel = relative(config.root, config.dir).split('\\').join('/') || '.';
  const drift = await withDatabase(ctx, config, 'read', async ({ rows }) => compare(folder, rows).drift);
  const findings = driftFindings(drift, dirRel);
  const ok = !failing(findings, !!opts.strict);
  return { result: { ok, findings }, exitCode: ok ? 0 : 1 };
}

/** A run that threw: its exit code and error as a lone fmig would report them. */
function failedOutcome(e: unknown, opts: TargetOptions): Pick<Outcome, 'state' | 'exitCode' | 'summary' | 'error' | 'errorText'> {
  let err: FmigError;
  if (e instanceof FmigError) err = e;
  else {
    const dbe = toDbError(e);
    err = dbe
      ? new FmigError('database', `the database refused: ${dbe.message}${dbe.sqlstate ? ` (SQLSTATE ${dbe.sqlstate})` : ''}${dbe.detail ? `; ${dbe.detail}` : ''}`, 1, dbe.hint)
      : new FmigError('internal', `internal error: ${String((e as Error)?.stack ?? e)}`, 1);
  }
  return {
    state: 'failed',
    exitCode: err.exitCode,
    summary: gist(err.message),
    error: opts.errorJson(err),
    errorText: err.message + (err.hint ? `\n  ${err.hint}` : ''),
  };
}

function parseJobs(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_JOBS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1000) throw new UsageError(`-j ${raw}: expected how many targets run at once, a whole number from 1 to 1000`, `the default is ${DEFAULT_JOBS}`);
  return n;
}
