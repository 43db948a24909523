/** The work of `fmig up` (up.ts): reads the folder and the ledger, applies what is pending. */
import { relative } from 'node:path';
import { compare, type Comparison, type LedgerEntry } from '../core/drift.js';
import { DriftError, MigrationFailed, StateError, UnreachableError, UsageError } from '../core/errors.js';
import type { Folder, Revision } from '../core/folder.js';
import { planUp, parseUpTarget } from '../core/plan.js';
import type { RevisionFailed, RunEnv } from './apply.js';
import type { Context } from './context.js';
import { hintFor } from './failure-hint.js';
import { requireOneHead } from './heads.js';
import { knownLedger } from './known-ledger.js';
import { catchInterrupts, Interrupted, type Interruption } from './interrupt.js';
import { embeddedAbsent, loadFolder, readDownFiles, readUpFiles, withDatabase, type FolderSeen, type Opened } from './project.js';
import { forgetUpToDate, recordUpToDate } from './up-noop.js';
import { nothingToApply, type UpOptions, type UpResult } from './up.js';
import type { Config } from '../adapters/config-types.js';
import { tuneForDatabaseWork } from './tuning.js';

/**
 * `up` as it always runs. `plain`: a run the up-to-date record may be written from (up-noop.ts);
 * `unreachable`: the error of a connection the record's check could not make, reported as this
 * run would report it (after checking the folder), without connecting again.
 */
export async function upRun(ctx: Context, config: Config, opts: UpOptions, plain: boolean, unreachable?: { failed: unknown }): Promise<UpResult> {
  tuneForDatabaseWork();
  const target = parseUpTarget(opts.target);
  const dirLabel = relative(config.root, config.dir) || '.';
  let loaded: Folder | undefined;
  const seen: FolderSeen = {};
  const prepare = async (listDowns: boolean) => {
    // A real run knows unchanged files from the stat cache; it reads those it applies in full (run).
    const folder = (loaded = await loadFolder(config, { listDowns, shared: ctx.folders, statCache: listDowns, seen: plain ? seen : undefined }));
    // A named revision is what the user wants, whatever the other heads: say they exist.
    if (target.kind === 'revision') warnOtherHeads(ctx, folder, target.id);
    else await requireOneHead(config, folder, 'up');
    return folder;
  };
  if (opts.dryRun) {
    // A dry run on an embedded database not made yet plans against an empty ledger, creating nothing.
    if (embeddedAbsent(config)) return run([], await prepare(false));
    return withDatabase(ctx, config, 'read', (opened, folder) => run(opened.rows, folder, opened), () => prepare(false));
  }
  // The folder is read with its down files listed, not read: up reads the down files of what it
  // applies (their text and checksum go into the ledger), not those of the revisions applied
  // before, which a deploy with nothing to do would otherwise read for nothing. Only a run with
  // something to do takes the lock and creates the ledger, and it reads those down files (a bad
  // one stops it) before either.
  let reached = false;
  const stop = catchInterrupts(ctx.report);
  const hasWork = async (rows: LedgerEntry[], folder: Folder) => {
    reached = true;
    const ids = toApply(rows, folder);
    if (!ids.length) return false;
    await readDownFiles(config, folder, ids);
    return true;
  };
  try {
    if (unreachable) {
      loaded = await prepare(true);
      throw unreachable.failed;
    }
    // An embedded database whose state file shows nothing to do is not even started.
    const known = knownLedger(config);
    if (known && !toApply(known, (loaded = await prepare(true))).length) return await run(known, loaded);
    return await withDatabase(ctx, config, hasWork, (opened, folder) => run(opened.rows, folder, opened), () => (loaded ? Promise.resolve(loaded) : prepare(true)));
  } catch (e) {
    // Bad input wins over a database that could not be reached: the down files are checked.
    if (e instanceof UnreachableError && loaded && !reached) await readDownFiles(config, loaded);
    throw e;
  } finally {
    stop.dispose();
  }

  /** What a run applies: the revisions that stopped part-way (resumed), then those the plan adds. */
  function toApply(rows: LedgerEntry[], folder: Folder): string[] {
    const failed = rows.filter((r) => r.finished_at === null).map((r) => r.revision);
    return [...failed, ...planUp(folder.graph, new Set(rows.map((r) => r.revision)), target)];
  }

  async function run(rows: LedgerEntry[], folder: Folder, opened?: Opened<LedgerEntry>): Promise<UpResult> {
    const state = compare(folder, rows);
    refuseOnDrift(state, opts);
    const failed = state.drift.filter((d) => d.kind === 'failed').map((d) => rows.find((r) => r.revision === d.revision)!);
    const todo = planUp(folder.graph, new Set(rows.map((r) => r.revision)), target).map((id) => folder.byId.get(id)!);
    // Their text, not only the header the stat cache knows, for what follows.
    await readUpFiles(config, folder, [...failed.map((r) => r.revision), ...todo.map((r) => r.id)]);
    if (opts.singleTransaction) await refuseStatementByStatement(todo, dirLabel);
    if (failed.length || todo.length) {
      const { refuseMetaCommands } = await import('./apply.js');
      refuseMetaCommands([...failed.map((r) => folder.byId.get(r.revision)!), ...todo].map((rev) => ({ label: `${dirLabel}/${rev.up.name}`, text: rev.up.text })));
    }

    if (opts.dryRun) {
      // The splitter loads only where it is needed: a run with nothing to do never loads it.
      const { describeExecution, planExecution } = await import('../core/transactions.js');
      const plan = [
        ...failed.map((r) => ({ rev: folder.byId.get(r.revision)!, resume: r.statements_done ?? 0 })),
        ...todo.map((rev) => ({ rev, resume: undefined as number | undefined })),
      ].map(({ rev, resume }) => ({
        revision: rev.id,
        slug: rev.slug,
        file: `${dirLabel}/${rev.up.name}`,
        execution: describeExecution(planExecution(rev.up.text, rev.up.noTransaction)) + (opts.singleTransaction ? ', inside the single transaction' : ''),
        resume,
      }));
      printDryRun(ctx, plan, folder, opts);
      return { applied: [], plan, pending: todo.map((r) => r.id), dryRun: true };
    }

    const done: UpResult['applied'] = [];
    const total = failed.length + todo.length;
    if (total === 0) {
      if (plain && opened && !state.drift.length) await recordUpToDate(config, seen, opened.rows);
      return nothingToApply(ctx);
    }
    if (plain) forgetUpToDate(config);
    const { db, ledger } = opened!;
    stop.watch(db);
    // Read before the lock (hasWork), unless another run changed the ledger in between.
    await readDownFiles(config, folder, [...failed.map((r) => r.revision), ...todo.map((r) => r.id)]);
    // The backup: under the lock, once the plan is known, before anything changes; a failed one stops here.
    const backup =
      (opts.backup ?? config.backup.beforeUp) &&
      (await (await import('./backup.js')).backupBeforeUp(ctx, config, db, opened!.rows, [...failed.map((r) => r.revision), ...todo.map((r) => r.id)].at(-1)!, opts.backupKeep));
    // The runner (splitter, error formatting) loads only when there is something to run.
    const { applyRevision, RevisionFailed, runEnv } = await import('./apply.js');
    const env = await runEnv(db, ledger, config, dirLabel);
    env.notice = (m) => ctx.report.line(m);
    const { lockRetries } = await import('./lock-retry.js');
    const retrying = lockRetries(db, config, ctx.report);

    try {
      for (const row of failed) {
        const rev = folder.byId.get(row.revision)!;
        ctx.report.progress(`resuming ${rev.id}_${rev.slug} at statement ${(row.statements_done ?? 0) + 1} (${done.length + 1}/${total})`);
        const ms = await retrying(`${rev.id}_${rev.slug}`, (from) => {
          stop.stopIfAsked(() => interruptedState(state, done, [...failed.map((r) => r.revision), ...todo.map((r) => r.id)]));
          return applyRevision(env, rev, from ?? row.statements_done ?? 0);
        });
        done.push({ revision: rev.id, slug: rev.slug, ms: Math.round(ms), resumed: true });
        ctx.report.line(`resumed ${rev.id}_${rev.slug} (${fmtMs(ms)})`);
      }
      if (opts.singleTransaction && todo.length) {
        // Rolled back as a whole on a lock timeout, so tried again as a whole.
        await retrying('the single transaction', () => applyAllAtOnce(ctx, env, todo, done));
      } else {
        for (const rev of todo) {
          ctx.report.progress(`applying ${rev.id}_${rev.slug} (${done.length + 1}/${total})`);
          const ms = await retrying(`${rev.id}_${rev.slug}`, (from) => {
            stop.stopIfAsked(() => interruptedState(state, done, todo.map((r) => r.id).filter((id) => !done.some((d) => d.revision === id))));
            return applyRevision(env, rev, from);
          });
          done.push({ revision: rev.id, slug: rev.slug, ms: Math.round(ms) });
          ctx.report.line(`applied ${rev.id}_${rev.slug} (${fmtMs(ms)})`);
        }
      }
    } catch (e) {
      if (stop.signal && !(e instanceof Interrupted)) throw interruptedBy(stop, e instanceof RevisionFailed ? e : null, e, folder, opts, state, done);
      if (!(e instanceof RevisionFailed)) throw e;
      throw new MigrationFailed(failureMessage(e, folder, opts, state, done), failureHint(e, opts), { revision: e.revision, ...e.fields });
    }
    return { applied: done, pending: [], dryRun: false, ...(backup ? { backup: { file: backup.file, metadata: backup.metadata, size: backup.size, ms: backup.ms, pruned: backup.pruned } } : {}) };
  }
}

export function warnOtherHeads(ctx: Context, folder: Folder, id: string): void {
  const heads = folder.graph.heads();
  if (heads.length < 2 || !folder.graph.has(id)) return;
  ctx.report.warn(
    `the folder has ${heads.length} heads (${heads.join(', ')}): applying ${id} and its ancestors only; \`fmig resolve\` puts the heads in one line`,
  );
}

export function refuseOnDrift(state: Comparison, opts: UpOptions): void {
  const edited = state.drift.filter((d) => d.kind === 'edited');
  if (edited.length) {
    throw new DriftError(
      edited.map((d) => d.message),
      'revert the edit (a new change belongs in a new revision: `fmig new`), or, after review, accept it with `fmig repair --yes`',
    );
  }
  const missing = state.drift.filter((d) => d.kind === 'missing');
  if (missing.length && !opts.ignoreMissing) {
    const ids = missing.map((d) => d.revision);
    throw new StateError(
      'missing-files',
      `refusing to run: ${ids.length === 1 ? 'revision' : 'revisions'} ${ids.join(', ')} ${ids.length === 1 ? 'is' : 'are'} applied to the database but not in the folder: this checkout is older than the database`,
      'deploy a checkout that has them; or, where an older release may run after a newer migration (a rolling deploy), `fmig up --ignore-missing`',
    );
  }
  const reverting = state.drift.filter((d) => d.kind === 'reverting');
  if (reverting.length) {
    throw new StateError(
      'failed-revision',
      `refusing to run: ${reverting.map((d) => `the down of ${d.revision} stopped part-way`).join('; ')}`,
      'finish the revert with `fmig down --resume`, then run `fmig up` again',
    );
  }
  const failed = state.drift.filter((d) => d.kind === 'failed');
  if (failed.length && !opts.resume) {
    throw new StateError(
      'failed-revision',
      `refusing to run: ${failed.map((d) => d.message).join('; ')}`,
      'run `fmig up --resume` to run the rest of it from the failed statement, or, once you have cleaned up by hand, `fmig repair --yes` to forget the attempt',
    );
  }
  const missingFailed = failed.filter((d) => !d.file);
  if (missingFailed.length) {
    throw new StateError('failed-revision', `cannot resume ${missingFailed.map((d) => d.revision).join(', ')}: its files are not in the folder`);
  }
}

export async function refuseStatementByStatement(todo: Revision[], dirLabel: string): Promise<void> {
  const { planExecution } = await import('../core/transactions.js');
  const bad = todo.filter((r) => planExecution(r.up.text, r.up.noTransaction).mode !== 'transaction');
  if (bad.length) {
    // Such a file runs statement by statement: outside a transaction, in transaction blocks of its own, or with COPY data.
    throw new UsageError(
      `--single-transaction cannot include ${bad.map((r) => `${dirLabel}/${r.up.name}`).join(', ')}: it does not run as one plain transaction (\`fmig up --dry-run\` says how it runs)`,
      'apply up to the revision before it with --single-transaction, then the rest without it',
    );
  }
}

async function applyAllAtOnce(ctx: Context, env: RunEnv, todo: Revision[], done: UpResult['applied']): Promise<void> {
  const { applyInOneTransaction } = await import('./apply.js');
  const applied = await applyInOneTransaction(env, todo, (rev, i) =>
    ctx.report.progress(`applying ${rev.id}_${rev.slug} (${i + 1}/${todo.length}, one transaction)`),
  );
  for (const p of applied) {
    done.push({ revision: p.revision, slug: p.slug, ms: Math.round(p.ms) });
    ctx.report.line(`applied ${p.revision}_${p.slug} (${fmtMs(p.ms)})`);
  }
}

function failureMessage(e: RevisionFailed, folder: Folder, opts: UpOptions, state: Comparison, done: UpResult['applied']): string {
  const rev = folder.byId.get(e.revision);
  const name = rev ? `${rev.id}_${rev.slug}` : e.revision;
  const appliedNow = opts.singleTransaction ? state.applied.length : state.applied.length + done.length;
  let left: string;
  if (opts.singleTransaction) left = `the whole run was rolled back: nothing from this run is applied`;
  else if (e.partial) left = `${name} stopped part-way: its ledger row records how far it got`;
  else left = `${name} was rolled back and left no trace`;
  const before = opts.singleTransaction ? '' : done.length ? `; ${done.length} revision(s) applied by this run stay applied` : '';
  return `${name} failed\n${e.report}\n\ndatabase state: ${left}${before}; ${appliedNow} revision(s) applied in all`;
}

/** What a signal left: the runs's revisions applied, the total, what is still pending. */
function interruptedState(state: Comparison, done: UpResult['applied'], pending: string[]): string {
  const ran = done.length ? `applied by this run: ${done.map((d) => `${d.revision}_${d.slug}`).join(', ')}` : 'nothing applied by this run';
  return `${ran}; ${state.applied.length + done.length} revision(s) applied in all${pending.length ? `; not applied: ${pending.join(', ')}` : ''}`;
}

/** The error a run stopped by a signal ends with: the cancelled revision's state, then what is applied. */
function interruptedBy(
  stop: Interruption,
  failed: RevisionFailed | null,
  e: unknown,
  folder: Folder,
  opts: UpOptions,
  state: Comparison,
  done: UpResult['applied'],
): Interrupted {
  const signal = stop.signal!;
  let cancelled: string;
  if (failed) {
    const rev = folder.byId.get(failed.revision);
    const name = rev ? `${rev.id}_${rev.slug}` : failed.revision;
    if (opts.singleTransaction) cancelled = `the running statement was cancelled and the whole run rolled back`;
    else if (failed.partial) cancelled = `${name} was cancelled part-way: its ledger row records how far it got (\`fmig up --resume\` runs the rest)`;
    else cancelled = `${name} was cancelled and rolled back`;
  } else {
    cancelled = `stopped: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
  }
  const kept = opts.singleTransaction ? [] : done;
  const pending = folder.graph.order().filter((id) => !state.applied.includes(id) && !kept.some((d) => d.revision === id));
  return new Interrupted(signal, `interrupted by ${signal}: ${cancelled}; ${interruptedState(state, kept, pending)}`, 'run `fmig up` again to go on; `fmig status` shows the state');
}

function failureHint(e: RevisionFailed, opts: UpOptions): string {
  if (e.partial && !opts.singleTransaction) {
    return hintFor(e, 'fix the cause, then `fmig up --resume` runs the rest from the failed statement; or clean up by hand and `fmig repair --yes`', 'fmig up --resume');
  }
  return hintFor(e, 'fix the revision file and run `fmig up` again', 'fmig up');
}

function printDryRun(ctx: Context, plan: NonNullable<UpResult['plan']>, folder: Folder, opts: UpOptions): void {
  if (!plan.length) {
    ctx.report.line('nothing to apply: the database is up to date');
    return;
  }
  ctx.report.line(`-- dry run: ${plan.length} revision(s) would be applied${opts.singleTransaction ? ' in one transaction' : ''}; nothing is changed`);
  for (const p of plan) {
    const rev = folder.byId.get(p.revision)!;
    ctx.report.line('');
    ctx.report.line(`-- ${p.file}: ${p.resume !== undefined ? `resume at statement ${p.resume + 1}, ` : ''}${p.execution}`);
    ctx.report.line(rev.up.text.replace(/\s+$/, ''));
  }
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

