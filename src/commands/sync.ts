/**
 * `fmig sync`: brings a development database in line with the checkout after a branch switch.
 * Applied revisions the checkout does not have are reverted, newest first, with the down SQL
 * the ledger kept; then what is pending is applied. A ledger row whose revision id is in the
 * folder under another slug is another branch's revision that happens to share the id, so it
 * counts as one the checkout does not have; an applied file edited under the same name is
 * drift, refused as `up` refuses it.
 */
import { relative } from 'node:path';
import type { LedgerRow } from '../adapters/db/ledger.js';
import { compare } from '../core/drift.js';
import { DriftError, MigrationFailed, StateError } from '../core/errors.js';
import type { Folder } from '../core/folder.js';
import { planUp, revertOrder } from '../core/plan.js';
import { applyRevision, revertRevision, RevisionFailed, runEnv } from './apply.js';
import type { Context } from './context.js';
import { hintFor } from './failure-hint.js';
import { requireOneHead } from './heads.js';
import { loadFolder, withDatabase } from './project.js';
import { fmtMs } from './up-run.js';
import { downSources, fileOf } from './down.js';
import { tuneForDatabaseWork } from './tuning.js';

export interface SyncOptions {
  yes?: boolean;
  dryRun?: boolean;
}

export interface SyncStep {
  action: 'revert' | 'apply';
  revision: string;
  slug: string;
}

export interface SyncResult {
  database: string;
  plan: SyncStep[];
  done: SyncStep[];
  dryRun: boolean;
}

export async function sync(ctx: Context, opts: SyncOptions): Promise<SyncResult> {
  tuneForDatabaseWork();
  const config = await ctx.config();
  const folder = await loadFolder(config);
  await requireOneHead(config, folder, 'sync');
  const dirLabel = relative(config.root, config.dir) || '.';

  return withDatabase(ctx, config, opts.dryRun ? 'read' : 'write', async ({ db, ledger, rows }) => {
    const gone = revertSet(folder, rows);
    refuse(folder, rows, gone);
    const byId = new Map(rows.map((r) => [r.revision, r]));
    const reverts = revertOrder(rows)
      .filter((id) => gone.has(id))
      .map((id) => byId.get(id)!);
    const stillApplied = new Set(rows.filter((r) => !gone.has(r.revision)).map((r) => r.revision));
    const applies = planUp(folder.graph, stillApplied, { kind: 'head' }).map((id) => folder.byId.get(id)!);
    const plan: SyncStep[] = [
      ...reverts.map((r) => ({ action: 'revert' as const, revision: r.revision, slug: r.slug })),
      ...applies.map((r) => ({ action: 'apply' as const, revision: r.id, slug: r.slug })),
    ];
    const result: SyncResult = { database: db.display, plan, done: [], dryRun: !!opts.dryRun };
    if (!plan.length) {
      ctx.report.line(`${db.display} is in sync with the checkout: nothing to do`);
      return result;
    }
    ctx.report.line(`sync plan for ${db.display}:`);
    for (const r of reverts) ctx.report.line(`  revert ${r.revision}_${r.slug}  (not in the checkout; down SQL from the ledger)`);
    for (const r of applies) ctx.report.line(`  apply  ${r.id}_${r.slug}`);
    if (opts.dryRun) {
      ctx.report.line('dry run: nothing was changed');
      return result;
    }
    if (!opts.yes && !db.embedded) {
      throw new StateError(
        'confirmation-needed',
        `sync changes ${db.display}, which is not the embedded database: it needs --yes`,
        'check the plan above, then run `fmig sync --yes`',
      );
    }

    const env = await runEnv(db, ledger, config, dirLabel);
    env.notice = (m) => ctx.report.line(m);
    const { lockRetries } = await import('./lock-retry.js');
    const retrying = lockRetries(db, config, ctx.report);
    try {
      const sources = await downSources(db, ledger, reverts, folder, dirLabel);
      for (const [i, r] of reverts.entries()) {
        ctx.report.progress(`reverting ${r.revision}_${r.slug}`);
        const ms = await retrying(`${r.revision}_${r.slug}`, (from) => revertRevision(env, sources[i], from));
        result.done.push({ action: 'revert', revision: r.revision, slug: r.slug });
        ctx.report.line(`reverted ${r.revision}_${r.slug} (${fmtMs(ms)})`);
      }
      for (const rev of applies) {
        ctx.report.progress(`applying ${rev.id}_${rev.slug}`);
        const ms = await retrying(`${rev.id}_${rev.slug}`, (from) => applyRevision(env, rev, from));
        result.done.push({ action: 'apply', revision: rev.id, slug: rev.slug });
        ctx.report.line(`applied ${rev.id}_${rev.slug} (${fmtMs(ms)})`);
      }
    } catch (e) {
      if (!(e instanceof RevisionFailed)) throw e;
      const step = plan[result.done.length];
      throw new MigrationFailed(
        `${step.action === 'revert' ? 'reverting' : 'applying'} ${e.revision} failed\n${e.report}\n\ndatabase state: ${result.done.length} step(s) of the sync done; ${e.partial ? `${e.revision} stopped part-way: its ledger row records how far it got` : `${e.revision} was rolled back`}`,
        hintFor(e, 'fix the cause and run `fmig sync` again', 'fmig sync'),
        { revision: e.revision, ...e.fields },
      );
    }
    return result;
  });
}

/**
 * The applied revisions the checkout does not have: rows with no files, rows whose id the
 * folder uses for another slug, and every row recorded as descending from one of those.
 */
function revertSet(folder: Folder, rows: readonly LedgerRow[]): Set<string> {
  const gone = new Set(rows.filter((r) => folder.byId.get(r.revision)?.slug !== r.slug).map((r) => r.revision));
  const byId = new Map(rows.map((r) => [r.revision, r]));
  // Parents before children, from the graph: the rows' own order (by time) may not follow it.
  for (const id of revertOrder(rows).reverse()) if (byId.get(id)!.parents.some((p) => gone.has(p))) gone.add(id);
  return gone;
}

/** Refuses before changing anything: edited applied files, failed revisions, reverts with no down SQL. */
function refuse(folder: Folder, rows: readonly LedgerRow[], gone: Set<string>): void {
  const kept = rows.filter((r) => !gone.has(r.revision));
  const state = compare(folder, kept);
  const edited = state.drift.filter((d) => d.kind === 'edited');
  if (edited.length) {
    throw new DriftError(
      edited.map((d) => d.message),
      'revert the edit (a new change belongs in a new revision: `fmig new`), or, after review, accept it with `fmig repair --yes`',
    );
  }
  const failed = rows.filter((r) => r.finished_at === null);
  if (failed.length) {
    throw new StateError(
      'failed-revision',
      `refusing to sync: ${failed.map((r) => `${r.revision} stopped part-way after ${r.statements_done ?? 0} statement(s)`).join('; ')}`,
      'finish it with `fmig up --resume`, or after cleaning up by hand, `fmig repair --yes`',
    );
  }
  const irreversible = rows.filter((r) => gone.has(r.revision) && !r.down_kept && !fileOf(r, folder)?.down);
  if (irreversible.length) {
    throw new StateError(
      'irreversible',
      `cannot sync: ${irreversible.map((r) => r.revision).join(', ')} must be reverted, but had no down file when applied`,
      'revert it by hand and drop its ledger row with `fmig repair --prune --yes`',
    );
  }
}
