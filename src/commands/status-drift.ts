/** `fmig status --drift`: status, then the schema drift of `fmig diff` (it costs a replay, so only when asked). */
import type { Context } from './context.js';
import { diff, type DiffResult } from './diff.js';
import { embeddedAbsent } from './project.js';
import { status, type StatusResult } from './status.js';
import type { FolderProblemsStatus } from './status-problems.js';

export async function statusWithDrift(ctx: Context, opts: { check?: boolean }): Promise<{ result: (StatusResult | FolderProblemsStatus) & { schemaDrift: DiffResult | null }; exitCode: number }> {
  const s = await status(ctx, { check: opts.check });
  // Revision files that do not form a folder cannot be replayed: their problems are the report.
  if ('problems' in s.result || embeddedAbsent(await ctx.config())) return { result: { ...s.result, schemaDrift: null }, exitCode: s.exitCode };
  ctx.report.line('');
  const d = await diff(ctx);
  const ok = s.result.ok && !d.result.drift;
  return { result: { ...s.result, ok, schemaDrift: d.result }, exitCode: opts.check && !ok ? 1 : 0 };
}
