/**
 * `fmig status` when the revision files do not parse or do not form a graph (duplicate ids
 * after a merge, bad names, unknown parents): it still reports, the problems as findings
 * beside what the ledger says, so that the state can be seen before it is resolved.
 */
import { maskUrl } from '../adapters/db/driver.js';
import type { LedgerRow } from '../adapters/db/ledger.js';
import type { FolderError } from '../core/errors.js';
import type { Config } from '../adapters/config-types.js';
import type { Context } from './context.js';
import { embeddedAbsent, withDatabase } from './project.js';

export interface FolderProblemsStatus {
  database: string;
  ledger: string;
  applied: { revision: string; slug: string; finished_at: string | null }[];
  problems: { code: string; files: string[]; message: string }[];
  ok: false;
}

const FIX: Record<string, string> = {
  'unknown-parent': 'name an existing revision in -- fmig:parent (`fmig heads` lists the heads)',
  'bad-name': 'rename it <revision>_<slug>.up.sql / .down.sql, or move it out of the folder',
  'down-without-up': 'add the up file, or remove the down file',
};

export async function statusWithProblems(ctx: Context, config: Config, e: FolderError, opts: { check?: boolean }): Promise<{ result: FolderProblemsStatus; exitCode: number }> {
  const rows: LedgerRow[] = embeddedAbsent(config) ? [] : await withDatabase(ctx, config, 'read', async (s) => s.rows);
  const result: FolderProblemsStatus = {
    database: maskUrl(config.database.url),
    ledger: `${config.database.schema}.${config.database.table}`,
    applied: rows.map((r) => ({ revision: r.revision, slug: r.slug, finished_at: r.finished_at ? new Date(r.finished_at).toISOString() : null })),
    problems: e.problems.map((p) => ({ code: p.code, files: p.files, message: p.message })),
    ok: false,
  };
  const r = ctx.report;
  r.line(`database: ${result.database} (ledger ${result.ledger})`);
  const done = result.applied.filter((a) => a.finished_at !== null);
  r.line(done.length ? `applied:  ${done.length} revision(s); last ${done.at(-1)!.revision}_${done.at(-1)!.slug}` : 'applied:  none');
  r.line('pending:  unknown until the revision files are fixed');
  r.line(`problems: ${result.problems.length} in the revision files`);
  for (const p of result.problems) r.line(`  ${p.code}: ${p.message}${FIX[p.code] ? `\n    fix: ${FIX[p.code]}` : ''}`);
  return { result, exitCode: opts.check ? 1 : 0 };
}
