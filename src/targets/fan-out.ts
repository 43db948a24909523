/**
 * A command over several targets at once (`--target`, `--all`): every run in this process, at
 * most `-j` at a time, each with its own connection, session (search_path) and fmig lock, all
 * sharing the parsed folder. One run failing does not stop the others (unless `--fail-fast`);
 * the exit code is the worst of them.
 */
import { maskUrl, toDbError } from '../adapters/db/driver.js';
import type { Config } from '../adapters/config-types.js';
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

type Run = (ctx: Context) => Promise<{ result: unknown; exitCode?: number }>;

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
}

/** Runs the command on the selected targets; resolves to the result `--json` prints and the exit code. */
export async function onTargets(ctx: Context, opts: TargetOptions, run: Run): Promise<{ result: unknown; exitCode: number }> {
  const config = await ctx.config();
  const chosen = selectTargets(config, opts, ctx.cwd);
  const jobs = parseJobs(opts.jobs);
  if (!isFanOut(opts, chosen)) {
    // One target without schemas: the command as it always runs, on that target's database.
    const { result, exitCode } = await run(unitContext(ctx, unitConfig(config, chosen[0], null), ctx.report));
    return { result, exitCode: exitCode ?? 0 };
  }
  if (!FAN_OUT.has(opts.command)) {
    throw new UsageError(
      `${opts.command} runs on one database: --target must name one target without schemas`,
      '`up`, `down`, `status` and `verify --db` run on several targets (--all, or a target with schemas)',
    );
  }
  if (opts.command === 'down' && opts.all) {
    throw new UsageError('down --all: reverting every target at once is not done on purpose', 'name the targets to revert: `fmig down --target <name>` (repeatable)');
  }
  if (opts.command === 'verify' && !opts.verify?.db) {
    throw new UsageError(`verify ${opts.all ? '--all' : '--target'} checks each target's ledger: add --db`, 'without --db, verify needs no database: `fmig verify`');
  }

  const folders: SharedFolders = new Map();
  let before: { result: unknown; exitCode: number } | undefined;
  if (opts.command === 'verify') {
    // The folder and git checks do not depend on the database: once, before the ledgers.
    const { verify } = await import('../commands/verify.js');
    before = await verify(ctx, { ...opts.verify, db: false });
  } else if (opts.command === 'up' || opts.command === 'down') {
    // Bad revision files stop everything before any database is touched (exit 2).
    const { loadFolder } = await import('../commands/project.js');
    await loadFolder(config, { listDowns: opts.command === 'up', shared: folders });
  }

  const started = Date.now();
  // Read once, not once per run: every run records the same checked-out commit.
  const gitCommit = opts.command === 'up' || opts.command === 'down' ? await (await import('../adapters/git-head.js')).headCommit(config.root) : undefined;
  const { units, failed } = await expandUnits(config, chosen, gitCommit);
  const width = Math.min(40, Math.max(0, ...units.map((u) => u.label.length), ...failed.map((f) => f.target.length)));
  const outcomes: Outcome[] = [];
  for (const f of failed) {
    const o = { ...failedOutcome(f.error, opts), target: f.target, schema: null, label: f.target, database: null, ms: 0 };
    outcomes.push(o);
    ctx.report.line(outcomeLine(o, width));
  }

  let stopping: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (stopping) return;
    stopping = s;
    ctx.report.warn(`${s}: no further target starts; those running stop as a single fmig would`);
  };
  process.setMaxListeners(Math.max(process.getMaxListeners(), jobs * 2 + 10));
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
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
        const o = await runUnit(ctx, u, opts, run, folders);
        ctx.report.line(outcomeLine(o, width));
        ctx.report.progress(`${++done}/${units.length} done`);
        return o;
      },
      () => stopping !== null || (opts.failFast && anyFailed),
    );
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  const why = stopping ? `interrupted by ${stopping}` : '--fail-fast';
  for (const [i, u] of units.entries()) {
    outcomes.push(results[i] ?? { target: u.target, schema: u.schema, label: u.label, database: maskUrl(u.config.database.url), state: 'not run', exitCode: 0, ms: 0, summary: `not run (${why})` });
  }
  for (const line of summaryLines(outcomes, Date.now() - started)) ctx.report.line(line);
  const exitCode = worst([before?.exitCode ?? 0, ...outcomes.map((o) => o.exitCode), stopping ? (stopping === 'SIGTERM' ? 143 : 130) : 0]);
  const targets = outcomes.map((o) => ({
    target: o.target,
    schema: o.schema,
    database: o.database,
    state: o.state,
    exitCode: o.exitCode,
    ms: Math.round(o.ms),
    summary: o.summary,
    ...(o.result !== undefined ? { result: o.result } : {}),
    ...(o.error ? { error: o.error } : {}),
  }));
  const counts = { runs: outcomes.filter((o) => o.state !== 'not run').length, ok: outcomes.filter((o) => o.state === 'ok').length, failed: outcomes.filter((o) => o.state === 'failed').length, notRun: outcomes.filter((o) => o.state === 'not run').length };
  return { result: { command: opts.command, ok: exitCode === 0, counts, ...(before ? { verify: before.result } : {}), targets }, exitCode };

  /** One run: the command with the unit's settings; whatever it throws becomes its outcome. */
  async function runUnit(parent: Context, u: Unit, o: TargetOptions, cmd: Run, shared: SharedFolders): Promise<Outcome> {
    const base = { target: u.target, schema: u.schema, label: u.label, database: maskUrl(u.config.database.url) };
    const t0 = performance.now();
    const quiet: Reporter = { line() {}, progress() {}, warn: (text) => parent.report.warn(`${u.label}: ${text}`) };
    const uctx = { ...unitContext(parent, u.config, quiet), folders: shared };
    try {
      const { result, exitCode = 0 } = o.command === 'verify' ? await ledgerCheck(uctx, u.config, o.verify ?? {}) : await cmd(uctx);
      if (exitCode !== 0) anyFailed = true;
      return { ...base, state: exitCode === 0 ? 'ok' : 'failed', exitCode, ms: performance.now() - t0, summary: summarise(o.command, result), result };
    } catch (e) {
      anyFailed = true;
      return { ...base, ...failedOutcome(e, o), ms: performance.now() - t0 };
    }
  }
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
