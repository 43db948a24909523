/** `fmig schema`: prints a normalised snapshot of the configured database's schema. Read-only. */
import { maskUrl } from '../adapters/db/driver.js';
import { readSnapshot } from '../adapters/db/snapshot.js';
import { renderSnapshot, type Snapshot } from '../core/snapshot-diff.js';
import type { Context } from './context.js';
import { embeddedAbsent, ledgerName, openConfigured } from './project.js';

export interface SchemaResult {
  schema: Snapshot;
}

const EMPTY: Snapshot = { schemas: [], extensions: [], types: [], sequences: [], tables: [], views: [], functions: [] };

/** Reads the snapshot (fmig's ledger left out) and prints it, one block per object; creates nothing. */
export async function schema(ctx: Context): Promise<SchemaResult> {
  const config = await ctx.config();
  if (embeddedAbsent(config)) {
    // Opening the embedded database would create it: a read-only command reports it empty instead.
    ctx.report.warn(`the embedded database ${maskUrl(config.database.url)} does not exist yet: nothing to show`);
    return { schema: EMPTY };
  }
  const db = await openConfigured(ctx, config);
  let snapshot: Snapshot;
  try {
    snapshot = await readSnapshot(db, ledgerName(config));
  } finally {
    await db.close();
  }
  for (const line of renderSnapshot(snapshot)) ctx.report.line(line);
  return { schema: snapshot };
}
