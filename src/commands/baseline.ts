/** `fmig baseline <rev>`: records a revision and its ancestors as applied without running them. */
import type { Driver } from '../adapters/db/driver.js';
import { recordApplied, type LedgerName, type Writer } from '../adapters/db/ledger.js';
import type { Folder } from '../core/folder.js';
import { StateError, UsageError } from '../core/errors.js';
import type { Context } from './context.js';
import { loadFolder, withDatabase, writer } from './project.js';

export interface BaselineResult {
  recorded: string[];
}

export async function baseline(ctx: Context, opts: { revision?: string }): Promise<BaselineResult> {
  const config = await ctx.config();
  if (!opts.revision) throw new UsageError('fmig baseline needs a revision id', 'e.g. `fmig baseline 000042`: that revision and all before it count as applied');
  const folder = await loadFolder(config);
  const target = folder.byId.get(opts.revision);
  if (!target) throw new UsageError(`revision ${opts.revision} is not in the folder`, 'see `fmig history` for the revisions there are');
  const wanted = folder.graph.ancestors(target.id).add(target.id);
  const ids = folder.graph.order().filter((id) => wanted.has(id));

  return withDatabase(ctx, config, 'write', async ({ db, ledger, rows }) => {
    if (rows.length) {
      throw new StateError('ledger-not-empty', `refusing to baseline: the ledger already has ${rows.length} row(s)`, 'baseline adopts a database fmig has never run on; see `fmig status`');
    }
    await recordBaseline(db, ledger, folder, ids, await writer(db, config));
    ctx.report.line(`recorded ${ids.length} revision(s) as applied without running them, up to ${target.id}_${target.slug}`);
    return { recorded: ids };
  });
}

/** Records these revisions (in application order) as applied without running them, in one transaction, each logged `baseline`. */
export async function recordBaseline(db: Driver, ledger: LedgerName, folder: Folder, ids: readonly string[], w: Writer): Promise<void> {
  await db.transaction(async (tx) => {
    for (const id of ids) {
      const r = folder.byId.get(id)!;
      await recordApplied(
        tx,
        ledger,
        { revision: r.id, slug: r.slug, parents: r.parents, upChecksum: r.up.checksum, downChecksum: r.down?.checksum ?? null, downSql: r.down?.text ?? null },
        w,
        0,
        'baseline',
      );
    }
  });
}
