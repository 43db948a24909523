/** `fmig status [--check]`: applied heads, pending revisions, drift. */
import { maskUrl } from '../adapters/db/driver.js';
import type { Driver } from '../adapters/db/driver.js';
import type { LedgerRow } from '../adapters/db/ledger.js';
import type { Folder } from '../core/folder.js';
import { compare, type Drift } from '../core/drift.js';
import { FolderError } from '../core/errors.js';
import type { FolderProblemsStatus } from './status-problems.js';
import type { Context } from './context.js';
import { knownLedger } from './known-ledger.js';
import { embeddedAbsent, loadFolder, withDatabase } from './project.js';

export interface StatusResult {
  database: string;
  ledger: string;
  applied: { revision: string; slug: string; finished_at: string }[];
  appliedHeads: string[];
  pending: { revision: string; slug: string }[];
  drift: Drift[];
  /** The folder's heads; more than one means divergent heads. */
  heads: string[];
  /** INVALID indexes left by the CREATE INDEX CONCURRENTLY of a revision that stopped part-way. */
  invalidIndexes: { revision: string; index: string; statement: number }[];
  ok: boolean;
}

export async function status(ctx: Context, opts: { check?: boolean }): Promise<{ result: StatusResult | FolderProblemsStatus; exitCode: number }> {
  const config = await ctx.config();
  let folder: Folder;
  try {
    folder = await loadFolder(config, { shared: ctx.folders });
  } catch (e) {
    // Whatever is wrong with the files is reported, not a reason to stop (SPEC section 6).
    if (!(e instanceof FolderError)) throw e;
    return (await import('./status-problems.js')).statusWithProblems(ctx, config, e, opts);
  }
  let invalid: StatusResult['invalidIndexes'] = [];
  // The embedded database's state file answers, unless a revision stopped part-way (its indexes are looked at).
  const known = embeddedAbsent(config) ? [] : knownLedger(config);
  const rows: LedgerRow[] =
    known && known.every((r) => r.finished_at !== null)
      ? known
      : await withDatabase(ctx, config, 'read', async (s) => {
          invalid = await leftInvalid(s.db, s.rows.filter((r) => r.finished_at === null), folder);
          return s.rows;
        });
  const cmp = compare(folder, rows);
  const byId = new Map(rows.map((r) => [r.revision, r]));
  const appliedSet = new Set(cmp.applied);
  const parentsOfApplied = new Set(cmp.applied.flatMap((id) => byId.get(id)!.parents));
  const heads = folder.graph.heads();
  const result: StatusResult = {
    database: maskUrl(config.database.url),
    ledger: `${config.database.schema}.${config.database.table}`,
    applied: cmp.applied.map((id) => ({ revision: id, slug: byId.get(id)!.slug, finished_at: new Date(byId.get(id)!.finished_at!).toISOString() })),
    appliedHeads: cmp.applied.filter((id) => !parentsOfApplied.has(id) && appliedSet.has(id)),
    pending: cmp.pending.map((id) => ({ revision: id, slug: folder.byId.get(id)!.slug })),
    drift: cmp.drift,
    heads,
    invalidIndexes: invalid,
    ok: invalid.length === 0 && cmp.pending.length === 0 && cmp.drift.length === 0 && heads.length <= 1,
  };

  const r = ctx.report;
  r.line(`database: ${result.database} (ledger ${result.ledger})`);
  const name = (id: string) => `${id}_${byId.get(id)?.slug ?? folder.byId.get(id)?.slug ?? ''}`;
  r.line(
    result.applied.length
      ? `applied:  ${result.applied.length} revision(s); head${result.appliedHeads.length > 1 ? 's' : ''} ${result.appliedHeads.map(name).join(', ')}`
      : 'applied:  none',
  );
  if (result.pending.length) {
    r.line(`pending:  ${result.pending.length} revision(s)`);
    for (const p of result.pending) r.line(`  ${p.revision}_${p.slug}`);
  } else r.line('pending:  none');
  if (result.drift.length) {
    r.line(`drift:    ${result.drift.length} problem(s)`);
    for (const d of result.drift) r.line(`  ${d.kind}: ${d.message}`);
  } else r.line('drift:    none');
  for (const x of invalid) {
    r.line(`invalid:  index ${x.index}, from statement ${x.statement} of ${name(x.revision)}, is INVALID (its build failed or was cut off); \`fmig up --resume\` drops it and builds it again`);
  }
  if (heads.length > 1) r.line(`heads:    ${heads.length} divergent heads (${heads.join(', ')}); run \`fmig resolve\``);
  return { result, exitCode: opts.check && !result.ok ? 1 : 0 };
}

/** The INVALID indexes the CREATE INDEX CONCURRENTLY statements of revisions that stopped part-way left behind. */
async function leftInvalid(db: Driver, stopped: LedgerRow[], folder: Folder): Promise<StatusResult['invalidIndexes']> {
  if (!stopped.length) return [];
  const [{ planExecution }, { invalidIndexes }] = await Promise.all([import('../core/transactions.js'), import('./steps.js')]);
  const out: StatusResult['invalidIndexes'] = [];
  for (const row of stopped) {
    const rev = folder.byId.get(row.revision);
    if (!rev) continue;
    const found = await invalidIndexes(db, planExecution(rev.up.text, rev.up.noTransaction).statements);
    out.push(...found.map((f) => ({ revision: row.revision, ...f })));
  }
  return out;
}
