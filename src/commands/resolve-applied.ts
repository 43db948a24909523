/**
 * The common team case of `fmig resolve`: a developer applied their own revision in their
 * development database, then merged main, and resolve must move that revision (a new id or a
 * new parent). Where the database is a development one (the embedded database, or another
 * with `--yes`) and the revision is not published, resolve does what `fmig sync` would do
 * around the move: it reverts the revisions whose ledger rows the move makes stale, newest
 * first, with the down SQL the ledger kept; changes the files; then applies what is pending.
 */
import type { Config } from '../adapters/config-types.js';
import type { LedgerRow } from '../adapters/db/ledger.js';
import { StateError } from '../core/errors.js';
import type { Folder } from '../core/folder.js';
import { planUp } from '../core/plan.js';
import type { Context } from './context.js';

/** Rows the folder after the move no longer matches (another id or slug, other parents), and every row recorded as descending from one; newest first. */
export function staleRows(rows: readonly LedgerRow[], after: Folder): LedgerRow[] {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  const stale = new Set(
    rows
      .filter((r) => {
        const rev = after.byId.get(r.revision);
        return !rev || rev.slug !== r.slug || !same(rev.parents, r.parents);
      })
      .map((r) => r.revision),
  );
  for (const r of rows) if (r.parents.some((p) => stale.has(p))) stale.add(r.revision);
  return [...rows].reverse().filter((r) => stale.has(r.revision));
}

/** Whether resolve may revert and re-apply revisions in the configured database: the embedded one, or any with --yes. */
export function mayRevert(config: Config, yes: boolean): boolean {
  return yes || /^pglite:/i.test(config.database.url);
}

export interface Reapplied {
  reverted: string[];
  applied: string[];
}

/**
 * Reverts `stale` (planned against the ledger as read before), runs `changeFiles`, then applies
 * what `after` has pending; all under the writers' lock. With `dryRun`, says what it would do.
 */
export async function revertMoveReapply(
  ctx: Context,
  config: Config,
  display: string,
  stale: LedgerRow[],
  /** The ledger as read when planning. */
  all: readonly LedgerRow[],
  after: Folder,
  changeFiles: () => Promise<void>,
  dryRun: boolean,
): Promise<Reapplied> {
  const name = (r: { revision: string; slug: string }) => `${r.revision}_${r.slug}`;
  const staleIds = new Set(stale.map((r) => r.revision));
  if (dryRun) {
    for (const r of stale) ctx.report.line(`would revert ${name(r)} in ${display} (with the down SQL the ledger kept), to re-apply it after the move`);
    await changeFiles();
    const kept = new Set(all.filter((r) => !staleIds.has(r.revision)).map((r) => r.revision));
    const applies = planUp(after.graph, kept, { kind: 'head' }).map((id) => `${id}_${after.byId.get(id)!.slug}`);
    for (const a of applies) ctx.report.line(`would apply ${a} in ${display}`);
    return { reverted: stale.map(name), applied: applies };
  }
  const [{ withDatabase }, { downSources }, { applyRevision, revertRevision, runEnv, RevisionFailed }, { relative }] = await Promise.all([
    import('./project.js'),
    import('./down.js'),
    import('./apply.js'),
    import('node:path'),
  ]);
  const dirLabel = relative(config.root, config.dir) || '.';
  return withDatabase(ctx, config, 'write', async ({ db, ledger, rows }) => {
    // The ledger as it is now, under the lock: another run may have changed it since it was read.
    const now = staleRows(rows, after);
    if (now.map((r) => r.revision).join() !== stale.map((r) => r.revision).join()) {
      throw new StateError('ledger-changed', `the ledger of ${display} changed while resolve was planning; nothing was changed`, 'run `fmig resolve` again');
    }
    const failed = rows.filter((r) => r.finished_at === null);
    if (failed.length) {
      throw new StateError(
        'failed-revision',
        `refusing to resolve: ${failed.map((r) => r.revision).join(', ')} stopped part-way in ${display}`,
        'finish it with `fmig up --resume`, or clean up by hand and `fmig repair --yes`, then run `fmig resolve` again',
      );
    }
    // The down SQL the ledger kept: the rows' ids are looked up in an empty folder.
    const sources = await downSources(db, ledger, now, { ...after, byId: new Map() } as Folder, dirLabel);
    const env = await runEnv(db, ledger, config, dirLabel);
    const done: Reapplied = { reverted: [], applied: [] };
    try {
      for (const [i, r] of now.entries()) {
        await revertRevision(env, sources[i]);
        done.reverted.push(name(r));
        ctx.report.line(`reverted ${name(r)} in ${display} (with the down SQL the ledger kept)`);
      }
    } catch (e) {
      if (!(e instanceof RevisionFailed)) throw e;
      throw new StateError(
        'revert-failed',
        `reverting ${e.revision} in ${display} failed, so no file was changed\n${e.report}`,
        'revert it by hand (or fix what blocks it) and run `fmig resolve` again',
      );
    }
    await changeFiles();
    const applied = new Set(rows.filter((r) => !staleIds.has(r.revision)).map((r) => r.revision));
    try {
      for (const id of planUp(after.graph, applied, { kind: 'head' })) {
        const rev = after.byId.get(id)!;
        await applyRevision(env, rev);
        done.applied.push(`${rev.id}_${rev.slug}`);
        ctx.report.line(`applied ${rev.id}_${rev.slug} in ${display}`);
      }
    } catch (e) {
      if (!(e instanceof RevisionFailed)) throw e;
      throw new StateError(
        'reapply-failed',
        `the files are resolved, but applying ${e.revision} in ${display} failed\n${e.report}`,
        'fix the cause, then `fmig up` applies the rest',
      );
    }
    return done;
  });
}
