/**
 * `fmig up [target]`: applies pending revisions up to head, a revision, or +N. A plain `up` on a
 * server is first checked against the up-to-date record (up-noop.ts), which answers a deploy
 * with nothing to do before anything else is loaded; the work itself is in up-run.ts.
 */
import type { Context } from './context.js';
import { recordable, upToDateByRecord } from './up-noop.js';

export interface UpOptions {
  target?: string;
  dryRun?: boolean;
  singleTransaction?: boolean;
  resume?: boolean;
  /** Go on although applied revisions have no files in the folder (rolling deploys). */
  ignoreMissing?: boolean;
  /** Take a backup after the lock, before the first revision, when there is something to apply; default `[backup] before_up`. */
  backup?: boolean;
  /** With the backup: keep this many backups of the database; default `[backup] keep`. */
  backupKeep?: number;
}

export interface UpResult {
  applied: { revision: string; slug: string; ms: number; resumed?: boolean }[];
  /** With --dry-run: what would run, and how. */
  plan?: { revision: string; slug: string; file: string; execution: string; resume?: number }[];
  pending: string[];
  dryRun: boolean;
  /** The backup taken before this run (--backup, [backup] before_up). */
  backup?: { file: string; metadata: string; size: number; ms: number; pruned: string[] };
}

export async function up(ctx: Context, opts: UpOptions): Promise<UpResult> {
  const config = await ctx.config();
  const plain = recordable(ctx, config, !opts.dryRun && opts.target === undefined);
  const answer = plain ? await upToDateByRecord(ctx, config) : false;
  if (answer === true) return nothingToApply(ctx);
  const { upRun } = await import('./up-run.js');
  return upRun(ctx, config, opts, plain, answer === false ? undefined : answer);
}

export function nothingToApply(ctx: Context): UpResult {
  ctx.report.line('nothing to apply: the database is up to date');
  return { applied: [], pending: [], dryRun: false };
}
