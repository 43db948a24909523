/**
 * Runs one revision's up or down against the database and records it in the ledger:
 * a transactional file together with its ledger and log rows, or statement by statement
 * with its progress recorded after each step.
 */
import type { Driver, Session } from '../adapters/db/driver.js';
import { ScriptFailed, toDbError } from '../adapters/db/driver.js';
import type { Config } from '../adapters/config-types.js';
import * as L from '../adapters/db/ledger.js';
import { writer } from './project.js';
import { failureFields, formatFailure, type FailureFields } from '../core/failure.js';
import type { Revision } from '../core/folder.js';
import { leadingTokens, type Statement } from '../core/split.js';
import { lineOf } from '../core/position.js';
import { blockAt, isTransactionControl, planExecution, type Block, type ExecutionPlan } from '../core/transactions.js';
import { sessionSettings } from '../adapters/db/open.js';
import { PsqlStopped, runLikePsql, sendStatement } from './run-psql.js';
import { metaCommandProblems } from '../core/meta-commands.js';
import { FolderError, UnreachableError } from '../core/errors.js';
import { revertingNote, runStep, type StepRecords } from './steps.js';

export interface RunEnv {
  db: Driver;
  ledger: L.LedgerName;
  writer: L.Writer;
  /** Resets session state before a revision (RESET ALL and fmig's timeouts). */
  reset: string;
  /** The session may hold state a revision left (a SET, say): reset before the next one. */
  dirty: boolean;
  /** Opens a short transaction for fmig's own writes in the middle of a file that changed the session. */
  guard: string;
  /** fmig's settings for its own writes inside a transaction that is already open (the rest of `guard`). */
  localSettings: string;
  /** Told what a resumed run decided about a statement an earlier run started (see steps.ts). */
  notice?: (message: string) => void;
  /** The folder's path as shown to the user, to name files in errors. */
  dirLabel: string;
  /** Writing a script for psql (plan-sql.ts): durations are measured by the server that runs it. */
  offline?: boolean;
}

/** A file holding psql meta-commands is a psql script: refused (exit 2) before anything runs. */
export function refuseMetaCommands(files: readonly { label: string; text: string }[]): void {
  const problems = metaCommandProblems(files);
  if (problems.length) throw new FolderError(problems);
}

/** Thrown (wrapped in MigrationFailed by callers) with the formatted report and what the ledger now says. */
export class RevisionFailed extends Error {
  constructor(
    readonly revision: string,
    readonly report: string,
    /** True when the revision left a row behind (a statement-by-statement run stopped part-way). */
    readonly partial: boolean,
    /** Where it failed and what the server said, when a statement failed. */
    readonly fields?: FailureFields,
    /** The SQLSTATE of the database error it stopped at, when it was one (55P03: a lock wait timed out). */
    readonly sqlstate?: string,
    /** For a partial run: the statements done, where a retry or `--resume` starts. */
    readonly statementsDone?: number,
  ) {
    super(report);
  }
}

/**
 * Every revision starts from the same session state. RESET ALL costs a round trip, so it runs
 * only after a revision that may have changed the session: anything but plain DDL and DML.
 */
async function freshSession(env: RunEnv, next: ExecutionPlan): Promise<boolean> {
  if (env.dirty) await env.db.exec(env.reset);
  // Until the revision has run in full, assume it changed the session.
  env.dirty = true;
  return keepsSession(next.statements);
}

const PLAIN = new Set(['create', 'alter', 'drop', 'comment', 'grant', 'revoke', 'insert', 'update', 'delete', 'truncate']);

/** No statement of the file can leave session state behind (no SET, RESET, DO, CALL, set_config ...). */
function keepsSession(statements: readonly Statement[]): boolean {
  return statements.every((st) => PLAIN.has(leadingTokens(st.text, 1)[0]?.value ?? '') && !/set_config/i.test(st.text));
}

/** The runner's environment for a command that has the database open (and, for writers, locked). */
export async function runEnv(db: Driver, ledger: L.LedgerName, config: Config, dirLabel: string, who?: L.Writer): Promise<RunEnv> {
  const local = `SET LOCAL ROLE NONE; SET LOCAL lock_timeout = ${Math.round(config.database.lockTimeoutMs)}; SET LOCAL statement_timeout = ${Math.round(config.database.statementTimeoutMs)}`;
  return {
    db,
    ledger,
    writer: who ?? (await writer(db, config)),
    reset: sessionReset(config.database.lockTimeoutMs, config.database.statementTimeoutMs, config.target?.schema ?? undefined),
    dirty: false,
    guard: `BEGIN READ WRITE; ${local}`,
    localSettings: local,
    dirLabel,
  };
}

/** Puts the session back to the state every revision starts from: defaults plus fmig's own settings. */
export function sessionReset(lockTimeoutMs: number, statementTimeoutMs: number, searchPath?: string): string {
  return `RESET ALL; ${sessionSettings({ lockTimeoutMs, statementTimeoutMs, searchPath })}`;
}

function applied(rev: Revision): L.AppliedRevision {
  return {
    revision: rev.id,
    slug: rev.slug,
    parents: rev.parents,
    upChecksum: rev.up.checksum,
    downChecksum: rev.down?.checksum ?? null,
    downSql: rev.down?.text ?? null,
  };
}

/** Applies a revision's up file. `resumeFrom` continues a statement-by-statement run that stopped. */
export function applyRevision(env: RunEnv, rev: Revision, resumeFrom?: number): Promise<number> {
  return runFile(env, rev.id, `${env.dirLabel}/${rev.up.name}`, rev.up.text, rev.up.noTransaction, resumeFrom ?? 0, {
    committed: () => L.appliedSql(env.ledger, applied(rev), env.writer, null),
    started: resumeFrom === undefined ? () => L.recordStarted(env.db, env.ledger, applied(rev), env.writer) : async () => {},
    resuming: resumeFrom !== undefined,
    progress: (done) => L.recordProgress(env.db, env.ledger, rev.id, done),
    progressSql: (done) => L.progressSql(env.ledger, rev.id, done),
    stepStarted: (done, note) => L.recordStepStarted(env.db, env.ledger, rev.id, done, note),
    failed: (done, report) => L.recordFailed(env.db, env.ledger, rev.id, done, report, env.writer, rev.up.checksum),
    finished: (count, ms) => L.recordFinished(env.db, env.ledger, rev.id, count, env.offline ? null : ms, rev.up.checksum, env.writer),
  });
}

/** How a run is recorded in the ledger, for each way a file can run. */
interface Records extends StepRecords {
  /** A run that continues one that stopped: its first statement may have been started already. */
  resuming: boolean;
  /** Transactional: the statement that records it, run in the file's transaction after its statements. */
  committed(): string;
  /** Statement by statement: before the first statement runs. */
  started(): Promise<void>;
  progress(done: number): Promise<void>;
  failed(done: number, report: string): Promise<void>;
  finished(statements: number, ms: number): Promise<void>;
}

/**
 * Runs one file, transactional or statement by statement, and records it. fmig's own ledger
 * writes run with fmig's session settings, whatever the file set (a tiny statement_timeout, a role).
 */
async function runFile(env: RunEnv, revision: string, file: string, text: string, noTransaction: boolean, from: number, record: Records): Promise<number> {
  try {
    return await runFileOnce(env, revision, file, text, noTransaction, from, record);
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    // The connection went away in the middle of the file: say where, and what is left.
    const plan = planExecution(text, noTransaction);
    const left =
      plan.mode === 'transaction'
        ? 'nothing of it was applied: the server rolls back the transaction of a connection that is gone'
        : plan.opening
          ? 'the server rolled back the block that was open; blocks committed before it stay, and the ledger row, if one was committed, records where `fmig up --resume` starts'
          : 'the statements that ran stay; the ledger row records how far it got, for `fmig up --resume`';
    throw new UnreachableError(`${e.message}\n  while running ${file}: ${left}`, 'check the state with `fmig status`, then run the command again');
  }
}

async function runFileOnce(env: RunEnv, revision: string, file: string, text: string, noTransaction: boolean, from: number, record: Records): Promise<number> {
  const started = performance.now();
  refuseMetaCommands([{ label: file, text }]);
  const plan = planExecution(text, noTransaction);
  refuseUnterminated(plan, file, text, revision);
  const keeps = await freshSession(env, plan);
  if (plan.mode === 'transaction') {
    // One transaction: the file's statements, a reset when they may have changed the session,
    // then the ledger and log rows; on a server, all in one round trip after BEGIN.
    const modes = plan.ownTransaction?.modes ? [`SET TRANSACTION ${plan.ownTransaction.modes}`] : [];
    const scripts = [...modes, ...plan.statements.map((st) => st.text), ...(keeps ? [] : [env.reset]), record.committed()];
    // What a failure of transact() means for this file: one of its statements, or the ledger write.
    const failure = (e: unknown): unknown => {
      if (!(e instanceof ScriptFailed)) return e;
      if (e.index === scripts.length - 1) return unrecorded(env, file, e.reason);
      const i = e.index - modes.length;
      if (i >= plan.statements.length) return e.reason; // the session reset
      // SET TRANSACTION comes from the file's own BEGIN, at its start.
      return statementFailed(file, text, i < 0 ? 0 : plan.statements[i].start, e.reason, i < 0 ? undefined : plan.statements[i].text);
    };
    await env.db.transact(scripts).catch((e) => {
      throw asFailure(failure(e), revision, false);
    });
  } else if (plan.opening) {
    await runAsPsql(env, file, text, plan, from, record, keeps, started);
    // A SET the file made (pg_dump's search_path, say) must not reach the next revision.
    if (!keeps) await env.db.exec(env.reset);
  } else {
    await record.started();
    // Progress is written between the file's statements, in the session as the file left it.
    const own = keeps
      ? record
      : {
          ...record,
          progress: (n: number) => guarded(env, () => record.progress(n)),
          failed: (n: number, r: string) => guarded(env, () => record.failed(n, r)),
          stepStarted: record.stepStarted && ((n: number, note: string) => guarded(env, () => record.stepStarted!(n, note))),
        };
    await runStatements(env, file, text, plan.statements, plan.blocks, from, own).catch((e) => {
      throw asFailure(e, revision, true);
    });
    if (!keeps) await env.db.exec(env.reset);
    await record.finished(plan.statements.length, performance.now() - started);
  }
  env.dirty = false;
  return performance.now() - started;
}

/**
 * Applies transactional revisions in one transaction (`up --single-transaction`): all of them
 * and their ledger rows commit together, or nothing does.
 */
export async function applyInOneTransaction(
  env: RunEnv,
  revs: Revision[],
  progress: (rev: Revision, index: number) => void,
): Promise<{ revision: string; slug: string; ms: number }[]> {
  const done: { revision: string; slug: string; ms: number }[] = [];
  await env.db.transaction(async (tx) => {
    for (const [i, rev] of revs.entries()) {
      progress(rev, i);
      const started = performance.now();
      const plan = planExecution(rev.up.text, false);
      if (env.dirty) await tx.exec(env.reset);
      env.dirty = !keepsSession(plan.statements);
      if (plan.mode === 'transaction') {
        try {
          await runScript(tx, plan, `${env.dirLabel}/${rev.up.name}`, rev.up.text);
        } catch (e) {
          throw asFailure(e, rev.id, false);
        }
      }
      if (env.dirty) await tx.exec(env.reset);
      env.dirty = false;
      const ms = performance.now() - started;
      await L.recordApplied(tx, env.ledger, applied(rev), env.writer, env.offline ? null : ms);
      done.push({ revision: rev.id, slug: rev.slug, ms });
    }
  });
  return done;
}

/** What a revert runs: the down file now in the folder, or the text the ledger kept. */
export interface DownSource {
  revision: string;
  /** Shown in errors: the down file's path, or "<rev> (down SQL from the ledger)". */
  label: string;
  text: string;
  checksum: string | null;
  noTransaction: boolean;
}

/**
 * A file run as `psql -1` runs it (run-psql.ts). A failure before anything was committed leaves
 * nothing behind, the revision's row included; after that, the row keeps where a resume starts.
 */
async function runAsPsql(
  env: RunEnv,
  file: string,
  text: string,
  plan: Extract<ExecutionPlan, { mode: 'statements' }>,
  from: number,
  record: Records,
  keeps: boolean,
  started: number,
): Promise<void> {
  const { statements, blocks } = plan;
  // Inside the file's block, fmig's writes take fmig's settings for the rest of it (they come last in it).
  const settle = env.guard.replace(/^BEGIN READ WRITE; /, '');
  const write = async (inside: boolean, what: () => Promise<void>) => {
    if (keeps) return what();
    if (!inside) return guarded(env, what);
    await env.db.exec(settle);
    await what();
  };
  let committed = from > 0;
  try {
    await runLikePsql({
      db: env.db,
      statements,
      blocks,
      from,
      text,
      write,
      records: {
        started: record.started,
        progress: async (n) => {
          await record.progress(n);
          committed = true;
        },
        finished: () => record.finished(statements.length, performance.now() - started),
      },
    });
  } catch (e) {
    if (!(e instanceof PsqlStopped)) throw asFailure(e, '', committed);
    const st = statements[e.index];
    const dbe = toDbError(e.error);
    if (!dbe) throw asFailure(e.error, '', committed);
    const report = formatFailure(copySite(file, text, st, dbe), dbe);
    const where = e.block
      ? `statement ${e.index + 1} of ${statements.length}, inside the transaction block starting at statement ${e.block.begin + 1} (rolled back)`
      : `statement ${e.index + 1} of ${statements.length}`;
    // Everything before `done` is committed: the file's blocks and statements on their own.
    const partial = from > 0 || e.done > 0;
    const full = partial ? `${report}\n  stopped at ${where}; ${e.done} statement(s) done` : `${report}\n  stopped at ${where}; nothing of the file was committed`;
    if (partial) await write(false, () => record.failed(e.done, full));
    throw new RevisionFailed('', full, partial, failureFields(copySite(file, text, st, dbe), dbe, st.text), dbe.sqlstate, e.done);
  }
}

/**
 * Where an error points: for a COPY whose data was rejected, the data line PostgreSQL names
 * (`COPY t, line 3, column a: ...`), else the statement.
 */
function copySite(file: string, text: string, st: Statement, dbe: { where?: string; position?: number }): { file: string; text: string; offset: number } {
  const line = st.copy && dbe.position === undefined ? /^COPY [^\n]*?, line (\d+)/.exec(dbe.where ?? '')?.[1] : undefined;
  if (!st.copy || line === undefined) return { file, text, offset: st.start };
  let offset = st.copy.start;
  for (let k = 1; k < Number(line); k++) {
    const eol = text.indexOf('\n', offset);
    if (eol < 0 || eol >= st.copy.end) break;
    offset = eol + 1;
  }
  return { file, text, offset };
}

/** Runs one of fmig's writes in its own transaction with fmig's settings, whatever the session holds. */
async function guarded(env: RunEnv, write: () => Promise<void>): Promise<void> {
  await env.db.exec(env.guard);
  try {
    await write();
    await env.db.exec('COMMIT');
  } catch (e) {
    await env.db.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Reverts one revision: runs its down SQL and deletes its ledger row. Run statement by
 * statement, the down records its progress in the row (which stays until the down has run in
 * full), as an up does: a revert stopped part-way, by an error or a killed process, leaves the
 * row saying how far it got, and `from` (with `resuming`) continues it there.
 */
export function revertRevision(env: RunEnv, src: DownSource, from = 0, resuming = from > 0): Promise<number> {
  let total: number | undefined;
  const note = (done: number) => revertingNote(done, (total ??= planExecution(src.text, src.noTransaction).statements.length));
  return runFile(env, src.revision, src.label, src.text, src.noTransaction, from, {
    committed: () => L.revertedSql(env.ledger, src.revision, src.checksum, null, env.writer),
    started: resuming ? async () => {} : () => L.recordRevertProgress(env.db, env.ledger, src.revision, 0, note(0)),
    resuming,
    reverting: true,
    progress: (done) => L.recordRevertProgress(env.db, env.ledger, src.revision, done, note(done)),
    progressSql: (done) => L.revertProgressSql(env.ledger, src.revision, done, note(done)),
    stepStarted: (done, started) => L.recordStepStarted(env.db, env.ledger, src.revision, done, started),
    failed: (done, report) => L.recordRevertFailed(env.db, env.ledger, src.revision, done, `${note(done)}\n${report}`, env.writer, src.checksum),
    finished: (_count, ms) => L.recordReverted(env.db, env.ledger, src.revision, src.checksum, env.offline ? null : ms, env.writer),
  });
}

/**
 * Runs a transactional file's statements one at a time, as psql does, so that an error without
 * a position (a division by zero, a constraint violation) still names its statement's line.
 */
export async function runScript(s: Session, plan: Extract<ExecutionPlan, { mode: 'transaction' }>, file: string, text: string): Promise<void> {
  // One statement per message, so a failure names its statement; all sent at once (the server
  // driver pipelines them), so a file costs one round trip. Inside the transaction, statements
  // after a failed one fail only because it aborted: the first failure is the one reported.
  const { statements } = plan;
  const results = await Promise.allSettled(statements.map((st) => s.exec(st.text)));
  const i = results.findIndex((r) => r.status === 'rejected');
  if (i === -1) return;
  throw statementFailed(file, text, statements[i].start, (results[i] as PromiseRejectedResult).reason, statements[i].text);
}

/** A statement of `file` starting at `offset` failed: the report with its position, or the error itself when it is not the database's. */
function statementFailed(file: string, text: string, offset: number, e: unknown, statement?: string): unknown {
  const dbe = toDbError(e);
  return dbe ? new RevisionFailed('', formatFailure({ file, text, offset }, dbe), false, failureFields({ file, text, offset }, dbe, statement), dbe.sqlstate) : e;
}

/**
 * Runs statements one at a time from `from`. Progress is recorded only outside the file's own
 * transaction blocks; a failure inside one rolls it back and leaves progress at its start.
 */
async function runStatements(
  env: RunEnv,
  file: string,
  text: string,
  statements: Statement[],
  blocks: Block[],
  from: number,
  record: Pick<Records, 'progress' | 'failed' | 'resuming' | 'progressSql' | 'stepStarted' | 'reverting'>,
): Promise<void> {
  // Progress is written outside the file's own blocks only: inside one it would share the block's fate.
  const insideAfter = (i: number) => blocks.some((b) => b.begin <= i && i < b.end);
  for (let i = from; i < statements.length; i++) {
    const st = statements[i];
    // Resuming at a chained COMMIT/ROLLBACK: the block it closed is done or gone; open the next one.
    const resumeChain = i === from && from > 0 && /-chain$/.test(isTransactionControl(st.text) ?? '');
    // A statement and its progress row commit together where they can (steps.ts).
    let recorded = false;
    try {
      if (resumeChain) await env.db.exec('BEGIN');
      else recorded = await runStep(env, statements, i, blocks, record.resuming && i === from, record, env.localSettings, () => sendStatement(env.db, text, st));
    } catch (e) {
      const dbe = toDbError(e);
      if (!dbe) throw e;
      const block = blockAt(blocks, i);
      let done = i;
      if (block) {
        done = block.begin;
        await env.db.exec('ROLLBACK').catch(() => {});
      }
      const report = formatFailure(copySite(file, text, st, dbe), dbe);
      const where = block
        ? `statement ${i + 1} of ${statements.length}, inside the file's transaction block starting at statement ${block.begin + 1} (rolled back)`
        : `statement ${i + 1} of ${statements.length}`;
      const full = `${report}\n  stopped at ${where}; ${done} statement(s) done`;
      await record.failed(done, full);
      throw new RevisionFailed('', full, true, failureFields({ file, text, offset: st.start }, dbe, st.text), dbe.sqlstate, done);
    }
    if (!recorded && !insideAfter(i)) await record.progress(i + 1);
  }
}

/** A file that opens a transaction block and never closes it would leave the session inside it: refused before anything runs. */
function refuseUnterminated(plan: ExecutionPlan, file: string, text: string, revision: string): void {
  if (plan.mode !== 'statements' || plan.opening) return;
  const open = plan.blocks.find((b) => b.unterminated);
  if (!open) return;
  const st = plan.statements[open.begin];
  throw new RevisionFailed(
    revision,
    `${file}:${lineOf(text, st.start)}: the transaction block opened here is never closed (no COMMIT or ROLLBACK after it); add one, nothing was run`,
    false,
  );
}

/**
 * The file ran, but the ledger write after it failed (so everything was rolled back): most
 * often because the file dropped the ledger itself, e.g. `DROP SCHEMA public CASCADE`.
 */
function unrecorded(env: RunEnv, file: string, reason: unknown): unknown {
  const dbe = toDbError(reason);
  if (!dbe) return reason;
  const said = `error${dbe.sqlstate ? ` ${dbe.sqlstate}` : ''}: ${dbe.message}`;
  const ledger = L.tableRef(env.ledger);
  const report =
    dbe.sqlstate === '42P01' || dbe.sqlstate === '3F000'
      ? `${file} ran, but fmig could not record it: it removed fmig's ledger ${ledger} (${said}); all of it was rolled back\n` +
        `  keep the ledger out of what the file drops, for instance in a schema of its own (schema = "fmig" under [database] in migrate.toml)`
      : `${file} ran, but fmig could not record it in the ledger ${ledger} (${said}); all of it was rolled back`;
  return new RevisionFailed('', report, false, undefined, dbe.sqlstate);
}

function asFailure(e: unknown, revision: string, partial: boolean): unknown {
  if (e instanceof RevisionFailed) return new RevisionFailed(revision, e.report, partial || e.partial, e.fields, e.sqlstate, e.statementsDone);
  const dbe = toDbError(e);
  if (dbe) return new RevisionFailed(revision, `${revision}: error${dbe.sqlstate ? ` ${dbe.sqlstate}` : ''}: ${dbe.message}`, partial, undefined, dbe.sqlstate);
  return e;
}
