/**
 * `fmig repair --yes [--prune]`: makes the ledger agree with the files after a reviewed edit.
 * New checksums (and down text, parents) for edited revisions; a revision that stopped part-way
 * is forgotten, so `up` runs it again from its first statement; with --prune, rows whose files
 * are gone are dropped. Every change is logged as `repair`.
 */
import { recordRemoved, recordRepaired } from '../adapters/db/ledger.js';
import { compare } from '../core/drift.js';
import type { Context } from './context.js';
import { loadFolder, withDatabase, writer } from './project.js';

export interface RepairResult {
  changes: { revision: string; action: 'update' | 'forget-failed' | 'prune'; why: string }[];
  applied: boolean;
}

export async function repair(ctx: Context, opts: { yes?: boolean; prune?: boolean }): Promise<{ result: RepairResult; exitCode: number }> {
  const config = await ctx.config();
  const folder = await loadFolder(config);
  return withDatabase(ctx, config, opts.yes ? 'write' : 'read', async ({ db, ledger, rows }) => {
    const changes: RepairResult['changes'] = [];
    const seen = new Set<string>();
    for (const d of compare(folder, rows).drift) {
      if (d.kind === 'failed') changes.push({ revision: d.revision, action: 'forget-failed', why: d.message });
      else if (d.kind === 'missing') {
        if (opts.prune) changes.push({ revision: d.revision, action: 'prune', why: d.message });
      } else if (!seen.has(d.revision)) {
        seen.add(d.revision);
        changes.push({ revision: d.revision, action: 'update', why: d.message });
      }
    }
    const skippedMissing = rows.filter((r) => r.finished_at !== null && !folder.byId.has(r.revision)).length;
    if (!changes.length) {
      ctx.report.line('nothing to repair: the ledger agrees with the files');
      if (skippedMissing && !opts.prune) ctx.report.line(`(${skippedMissing} applied revision(s) have no files; --prune drops their rows)`);
      return { result: { changes, applied: false }, exitCode: 0 };
    }
    const verb = { update: 'update', 'forget-failed': 'forget the failed attempt of', prune: 'drop the row of' } as const;
    for (const c of changes) ctx.report.line(`${opts.yes ? '' : 'would '}${verb[c.action]} ${c.revision}: ${c.why}`);
    if (!opts.yes) {
      ctx.report.line('nothing changed: run `fmig repair --yes` to make these changes');
      return { result: { changes, applied: false }, exitCode: 1 };
    }
    const w = await writer(db, config);
    await db.transaction(async (tx) => {
      for (const c of changes) {
        if (c.action !== 'update') {
          await recordRemoved(tx, ledger, c.revision, w);
          continue;
        }
        const r = folder.byId.get(c.revision)!;
        await recordRepaired(tx, ledger, { revision: r.id, slug: r.slug, parents: r.parents, upChecksum: r.up.checksum, downChecksum: r.down?.checksum ?? null, downSql: r.down?.text ?? null }, w);
      }
    });
    ctx.report.line(`repaired ${changes.length} ledger row(s)`);
    return { result: { changes, applied: true }, exitCode: 0 };
  });
}
