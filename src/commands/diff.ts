/**
 * `fmig diff`: drift between what the migrations say and what the database is. The folder's
 * revisions that the database's ledger lists as applied are replayed on a throwaway database
 * (or read from the replay cache); that schema is compared with the database's own. Prints
 * what differs, object by object, and the SQL that would bring the database back to what the
 * migrations say. Exit 1 on drift, 0 when clean. Read-only.
 */
import { maskUrl } from '../adapters/db/driver.js';
import { readSnapshot } from '../adapters/db/snapshot.js';
import { planChanges } from '../autogenerate/plan.js';
import { StateError } from '../core/errors.js';
import { diffSnapshots, type Snapshot } from '../core/snapshot-diff.js';
import type { Context } from './context.js';
import { embeddedAbsent, loadFolder, withDatabase } from './project.js';
import { replayedSchema } from './replay.js';

export interface DiffResult {
  database: string;
  /** Revisions replayed: the applied ones, in application order. */
  applied: string[];
  drift: boolean;
  /** `- ` lines: what the migrations give and the database lacks; `+ ` lines: what only the database has; under each object's header. */
  differences: string[];
  /** The statements that would make the database what the migrations say (those losing data marked). */
  sql: { sql: string; review: string | null }[];
  cached: boolean;
}

export async function diff(ctx: Context): Promise<{ result: DiffResult; exitCode: number }> {
  const config = await ctx.config();
  if (embeddedAbsent(config)) throw new StateError('no-database', `the embedded database ${maskUrl(config.database.url)} does not exist yet: nothing to compare`, 'run `fmig up` first');
  const folder = await loadFolder(config);
  const { rows, actual } = await withDatabase(ctx, config, 'read', async (s) => ({ rows: s.rows, actual: await readSnapshot(s.db, s.ledger) }));
  const applied = new Set(rows.filter((r) => r.finished_at !== null).map((r) => r.revision));
  const missing = [...applied].filter((id) => !folder.byId.has(id));
  if (missing.length) {
    throw new StateError('missing-files', `the ledger lists applied revision(s) with no files in the folder: ${missing.join(', ')}`, 'check out the branch that has them (fmig status shows the same drift)');
  }
  const order = folder.graph.order().filter((id) => applied.has(id)).map((id) => folder.byId.get(id)!);
  const replayed = await replayedSchema(ctx, config, order);
  const result = compareSchemas(maskUrl(config.database.url), order.map((r) => r.id), replayed.snapshot, actual, replayed.cached);
  const r = ctx.report;
  if (!result.drift) {
    r.line(`no drift: ${result.database} has the schema its ${order.length} applied revision(s) give`);
    return { result, exitCode: 0 };
  }
  r.line(`drift: ${result.database} differs from what its ${order.length} applied revision(s) give (- in the migrations only, + in the database only):`);
  for (const line of result.differences) r.line(`  ${line}`);
  r.line('');
  r.line('SQL that would bring the database back to what the migrations say:');
  for (const s of result.sql) r.line(`${s.review ? `-- fmig:review ${s.review}\n` : ''}${s.sql.replace(/;?\s*$/, '')};`);
  return { result, exitCode: 1 };
}

export function compareSchemas(database: string, applied: string[], migrations: Snapshot, actual: Snapshot, cached: boolean): DiffResult {
  const differences = diffSnapshots(migrations, actual);
  const sql = differences.length ? planChanges(actual, migrations).statements.map((s) => ({ sql: s.sql, review: s.review ?? null })) : [];
  return { database, applied, drift: differences.length > 0, differences, sql, cached };
}
