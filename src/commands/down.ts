/** `fmig down [target]`: reverts -1 (default), -N, the applied descendants of a revision id (it stays applied), or base. */
import { relative } from 'node:path';
import { parseDirectives } from '../core/directives.js';
import { MigrationFailed, StateError, UsageError } from '../core/errors.js';
import type { Folder, Revision } from '../core/folder.js';
import { isReverting } from '../core/drift.js';
import { parseDownTarget, planDown } from '../core/plan.js';
import { describeExecution, planExecution } from '../core/transactions.js';
import type { Session } from '../adapters/db/driver.js';
import { readDownSql, type LedgerName, type LedgerRow } from '../adapters/db/ledger.js';
import { refuseMetaCommands, revertRevision, RevisionFailed, runEnv, type DownSource } from './apply.js';
import type { Context } from './context.js';
import { hintFor } from './failure-hint.js';
import { fmtMs } from './up-run.js';
import { catchInterrupts, Interrupted } from './interrupt.js';
import { loadFolder, withDatabase } from './project.js';
import { tuneForDatabaseWork } from './tuning.js';

export interface DownOptions {
  target?: string;
  dryRun?: boolean;
  /** Run down files edited since their revision was applied, as they are now. */
  acceptEdited?: boolean;
  /** Run the down SQL the ledger kept when each revision was applied, not the files. */
  fromLedger?: boolean;
  /** Finish a revert that stopped part-way, from where it stopped. */
  resume?: boolean;
}

/** Which text a revert runs: the down file (an edited one refused, or accepted), or the ledger's copy. */
export type DownChoice = 'refuse-edited' | 'accept-edited' | 'ledger';

export interface DownResult {
  reverted: { revision: string; ms: number }[];
  plan?: { revision: string; source: string; execution: string }[];
  dryRun: boolean;
}

export async function down(ctx: Context, opts: DownOptions): Promise<DownResult> {
  tuneForDatabaseWork();
  const config = await ctx.config();
  const target = parseDownTarget(opts.target);
  if (opts.acceptEdited && opts.fromLedger) {
    throw new UsageError('--accept-edited and --from-ledger choose different texts to run: give one of them');
  }
  const choice: DownChoice = opts.fromLedger ? 'ledger' : opts.acceptEdited ? 'accept-edited' : 'refuse-edited';
  const folder = await loadFolder(config, { shared: ctx.folders });
  const dirLabel = relative(config.root, config.dir) || '.';

  const stop = opts.dryRun ? null : catchInterrupts(ctx.report);
  try {
    return await revert();
  } finally {
    stop?.dispose();
  }

  function revert() {
    return withDatabase(ctx, config, opts.dryRun ? 'read' : 'write', async ({ db, ledger, rows }) => {
      const failed = rows.filter((r) => r.finished_at === null);
      if (failed.length) {
        throw new StateError(
          'failed-revision',
          `refusing to revert: ${failed.map((r) => r.revision).join(', ')} stopped part-way`,
          'finish it with `fmig up --resume`, or clean up by hand and `fmig repair --yes`',
        );
      }
      const byId = new Map(rows.map((r) => [r.revision, r]));
      if (target.kind === 'revision' && !byId.has(target.id) && !folder.byId.has(target.id)) {
        throw new UsageError(`revision ${target.id} is not in the folder`, 'see `fmig history` for the revisions there are');
      }
      const ids = planDown(rows, target);
      const resumeAt = stoppedReverts(rows, ids, !!opts.resume);
      const sources = await downSources(db, ledger, ids.map((id) => byId.get(id)!), folder, dirLabel, choice);
      refuseMetaCommands(sources);

      if (opts.dryRun) {
        const plan = sources.map((s) => ({
          revision: s.revision,
          source: s.label,
          execution: (resumeAt.has(s.revision) ? `resume at statement ${resumeAt.get(s.revision)! + 1}, ` : '') + describeExecution(planExecution(s.text, s.noTransaction)),
        }));
        if (!plan.length) ctx.report.line('nothing to revert');
        else ctx.report.line(`-- dry run: ${plan.length} revision(s) would be reverted, children first; nothing is changed`);
        for (const [i, p] of plan.entries()) {
          ctx.report.line('');
          ctx.report.line(`-- ${p.source}: ${p.execution}`);
          ctx.report.line(sources[i].text.replace(/\s+$/, ''));
        }
        return { reverted: [], plan, dryRun: true };
      }

      if (!sources.length) ctx.report.line('nothing to revert');
      const env = await runEnv(db, ledger, config, dirLabel);
      env.notice = (m) => ctx.report.line(m);
      stop?.watch(db);
      const { lockRetries } = await import('./lock-retry.js');
      const retrying = lockRetries(db, config, ctx.report);
      const done: DownResult['reverted'] = [];
      const applied = () => rows.filter((r) => r.finished_at !== null && !done.some((d) => d.revision === r.revision)).map((r) => r.revision);
      const reverted = () => (done.length ? `reverted by this run: ${done.map((d) => d.revision).join(', ')}` : 'nothing reverted by this run');
      for (const src of sources) {
        ctx.report.progress(`reverting ${src.revision} (${done.length + 1}/${sources.length})`);
        try {
          const ms = await retrying(src.revision, (from) => {
            stop?.stopIfAsked(() => `${reverted()}; still applied: ${applied().join(', ') || 'none'}`);
            const stopped = resumeAt.get(src.revision);
            return stopped === undefined ? revertRevision(env, src, from) : revertRevision(env, src, from ?? stopped, true);
          });
          done.push({ revision: src.revision, ms: Math.round(ms) });
          ctx.report.line(`reverted ${src.revision}${slugOf(byId.get(src.revision)!)} (${fmtMs(ms)})`);
        } catch (e) {
          if (stop?.signal && !(e instanceof Interrupted)) {
            const partial = e instanceof RevisionFailed && e.partial;
            const what = partial ? `part of ${src.revision}'s down ran before it was cancelled (its ledger row records how far it got)` : `${src.revision}'s down was cancelled and rolled back`;
            throw new Interrupted(stop.signal, `interrupted by ${stop.signal}: ${what}; ${reverted()}; still applied: ${applied().join(', ') || 'none'}`, `run \`fmig down${partial ? ' --resume' : ''}\` again to go on; \`fmig status\` shows the state`);
          }
          if (!(e instanceof RevisionFailed)) throw e;
          const left = e.partial
            ? `${src.revision} is still applied, but part of its down ran (its ledger row records how far it got; \`fmig down --resume\` runs the rest)`
            : `${src.revision}'s down was rolled back: it is still applied`;
          throw new MigrationFailed(
            `reverting ${src.revision} failed\n${e.report}\n\ndatabase state: ${left}; ${done.length} revision(s) reverted by this run`,
            e.partial
              ? hintFor(e, 'fix the cause, then `fmig down --resume` runs the rest of the down from the failed statement', 'fmig down --resume')
              : hintFor(e, 'fix the down file and run `fmig down` again', 'fmig down'),
            { revision: src.revision, ...e.fields },
          );
        }
      }
      return { reverted: done, dryRun: false };
    });
  }
}

/**
 * The reverts that stopped part-way (their rows record how far each down got), as where each
 * resumes. Without `resume` any of them is refused, as `up` refuses a revision that stopped
 * part-way; with it, each must be among what this run reverts.
 */
function stoppedReverts(rows: LedgerRow[], ids: string[], resume: boolean): Map<string, number> {
  const stopped = rows.filter(isReverting);
  if (stopped.length && !resume) {
    throw new StateError(
      'failed-revision',
      `refusing to revert: the down of ${stopped.map((r) => `${r.revision} stopped part-way after ${r.statements_done ?? 0} statement(s)`).join('; the down of ')}`,
      'run `fmig down --resume` to run the rest of it from where it stopped',
    );
  }
  const outside = stopped.filter((r) => !ids.includes(r.revision));
  if (outside.length) {
    throw new StateError(
      'failed-revision',
      `refusing to revert: the down of ${outside.map((r) => r.revision).join(', ')} stopped part-way, and this target does not revert ${outside.length === 1 ? 'it' : 'them'}`,
      'run `fmig down --resume` with a target that includes it (the default, -1, reverts the newest revision)',
    );
  }
  return new Map(stopped.map((r) => [r.revision, r.statements_done ?? 0]));
}

function slugOf(row: LedgerRow): string {
  return row.slug ? `_${row.slug}` : '';
}

/** The folder's revision for a ledger row: same id and same slug (another branch may reuse an id). */
export function fileOf(row: LedgerRow, folder: Folder): Revision | undefined {
  const rev = folder.byId.get(row.revision);
  return rev && rev.slug === row.slug ? rev : undefined;
}

/**
 * What each revert runs: the down file in the folder; for a revision whose files are gone (or
 * for all, with `choice` 'ledger'), the down SQL the ledger kept (read only for those). Refuses
 * before anything runs if any revision is irreversible, or (unless `choice` says otherwise) if
 * a down file was edited since its revision was applied.
 */
export async function downSources(
  db: Session,
  ledger: LedgerName,
  rows: LedgerRow[],
  folder: Folder,
  dirLabel: string,
  choice: DownChoice = 'refuse-edited',
): Promise<DownSource[]> {
  const fromLedger = (r: LedgerRow) => choice === 'ledger' || !fileOf(r, folder);
  if (choice === 'refuse-edited') refuseEditedDowns(rows, folder, dirLabel);
  const kept = await readDownSql(db, ledger, rows.filter(fromLedger).map((r) => r.revision));
  const missing: string[] = [];
  const sources: DownSource[] = [];
  for (const row of rows) {
    const rev = choice === 'ledger' ? undefined : fileOf(row, folder);
    const text = kept.get(row.revision);
    if (rev?.down) {
      sources.push({ revision: row.revision, label: `${dirLabel}/${rev.down.name}`, text: rev.down.text, checksum: rev.down.checksum, noTransaction: rev.down.noTransaction });
    } else if (!rev && text !== undefined) {
      const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      sources.push({
        revision: row.revision,
        label: `${row.revision}_${row.slug}.down.sql (as kept in the ledger)`,
        text: body,
        checksum: row.down_checksum,
        noTransaction: parseDirectives(body, 'down').directives.noTransaction,
      });
    } else {
      missing.push(
        rev
          ? `${rev.id}_${rev.slug} (${dirLabel}/${rev.up.name.replace(/\.up\.sql$/, '.down.sql')} does not exist)`
          : `${row.revision}_${row.slug} (${choice === 'ledger' && fileOf(row, folder) ? 'it was applied without a down file: ' : 'no files, and '}the ledger kept no down SQL)`,
      );
    }
  }
  if (missing.length) {
    throw new StateError(
      'irreversible',
      `refusing to revert anything: ${missing.length === 1 ? 'this revision is' : 'these revisions are'} irreversible:\n  ${missing.join('\n  ')}`,
      'write the missing down file, or choose a target that stops before it',
    );
  }
  return sources;
}

/**
 * A down file edited since its revision was applied is not run without the user saying which
 * text they mean: the file as it is now, or what the ledger kept. A down file written for a
 * revision applied without one (the ledger kept none) is what makes it reversible: it runs.
 */
function refuseEditedDowns(rows: LedgerRow[], folder: Folder, dirLabel: string): void {
  const edited = rows.flatMap((row) => {
    const down = fileOf(row, folder)?.down;
    return down && row.down_checksum !== null && down.checksum !== row.down_checksum ? [`${dirLabel}/${down.name}`] : [];
  });
  if (!edited.length) return;
  throw new StateError(
    'down-edited',
    `refusing to revert anything: ${edited.length === 1 ? 'this down file was' : 'these down files were'} edited since ${edited.length === 1 ? 'its revision was' : 'their revisions were'} applied:\n  ${edited.join('\n  ')}`,
    'after reviewing the edit, `fmig down --accept-edited` runs the files as they are now; `fmig down --from-ledger` runs the down SQL the ledger kept when each revision was applied',
  );
}
