/**
 * `fmig history`: every revision, newest first, drawn as a graph with its branches and merges,
 * and where the database is reachable, which are applied.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../adapters/config-types.js';
import type { LedgerRow } from '../adapters/db/ledger.js';
import { FmigError } from '../core/errors.js';
import { drawGraph } from '../core/history-graph.js';
import type { Context } from './context.js';
import { loadFolder, withDatabase } from './project.js';
import { knownLedger } from './known-ledger.js';

export interface HistoryResult {
  revisions: { revision: string; slug: string; parents: string[]; applied: boolean | null }[];
}

export async function history(ctx: Context): Promise<HistoryResult> {
  const config = await ctx.config();
  const folder = await loadFolder(config);
  const ledger = await reachableLedger(ctx, config, 'showing the history without what is applied');
  const applied = ledger && new Set(ledger.rows.filter((r) => r.finished_at !== null).map((r) => r.revision));
  const newestFirst = [...folder.graph.order()].reverse().map((id) => folder.byId.get(id)!);
  const revisions = newestFirst.map((r) => ({ revision: r.id, slug: r.slug, parents: [...r.parents], applied: applied ? applied.has(r.id) : null }));
  const lines = drawGraph(
    revisions.map((r) => ({ id: r.revision, parents: r.parents, label: `${r.revision} ${r.slug}${r.applied === null ? '' : r.applied ? ' (applied)' : ' (pending)'}` })),
  );
  if (!revisions.length) ctx.report.line('no revisions yet');
  for (const line of lines) ctx.report.line(line);
  return { revisions };
}

/**
 * The ledger rows of the configured database, or null when there is none to read. An embedded
 * database that was never created is not created just to look (nothing can be applied in it);
 * one that cannot be reached is a warning, ending with `without`. `pglite://memory` starts
 * empty, so nothing is applied there.
 */
export async function reachableLedger(ctx: Context, config: Config, without: string): Promise<{ rows: LedgerRow[]; display: string } | null> {
  const { parseDatabaseUrl } = await import('../adapters/db/open.js');
  const target = parseDatabaseUrl(config.database.url, config.root);
  if (target.kind === 'pglite') {
    if (target.dir === null) return { rows: [], display: 'pglite://memory' };
    if (!existsSync(target.dir)) return null;
    const known = knownLedger(config);
    if (known) return { rows: known, display: `pglite://${target.label}` };
  }
  try {
    return await withDatabase(ctx, config, 'read', async ({ db, rows }) => ({ rows, display: db.display }));
  } catch (e) {
    if (!(e instanceof FmigError) || e.exitCode !== 3) throw e;
    ctx.report.warn(`${e.message}; ${without}`);
    return null;
  }
}
