/**
 * `fmig new <slug> --autogenerate [--from-db <url>] [--dry-run]`: writes a revision whose up
 * file takes the folder's schema to the wanted one ([schema] files, or a database's schema)
 * and whose down file takes it back. Nothing to change: says so and writes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { planChanges } from '../autogenerate/plan.js';
import { renderRevision } from '../autogenerate/render.js';
import { fileName } from '../core/names.js';
import { nextRevisionId } from '../core/new-id.js';
import type { Context } from './context.js';
import { startRevision } from './new.js';
import { databaseSchema, declaredSchema, replayedSchema } from './replay.js';

export interface AutogenerateOptions {
  slug?: string;
  message?: string;
  parents?: string[];
  fromDb?: string;
  dryRun?: boolean;
}

export interface AutogenerateResult {
  /** Null when the folder's schema already is the wanted one (no files written). */
  revision: string | null;
  slug: string;
  parents: string[];
  up: string | null;
  down: string | null;
  /** Statements marked `-- fmig:review` in the up file, with why. */
  review: { sql: string; reason: string }[];
  notes: string[];
  /** With --dry-run: the files' text, nothing written. */
  upText?: string;
  downText?: string;
  /** The folder's schema came from the replay cache. */
  cached: boolean;
}

export async function autogenerate(ctx: Context, opts: AutogenerateOptions, now = new Date()): Promise<AutogenerateResult> {
  const { config, slug, folder, parents } = await startRevision(ctx, opts, 'fmig new --autogenerate');
  // The schema the new revision starts from: its parents and their ancestors, applied.
  const wantedIds = new Set<string>();
  const visit = (id: string) => {
    if (wantedIds.has(id)) return;
    wantedIds.add(id);
    for (const p of folder.byId.get(id)!.parents) visit(p);
  };
  parents.forEach(visit);
  const order = folder.graph.order().filter((id) => wantedIds.has(id)).map((id) => folder.byId.get(id)!);

  const [current, wanted] = [await replayedSchema(ctx, config, order), opts.fromDb ? await databaseSchema(ctx, config, opts.fromDb) : await declaredSchema(ctx, config)];
  const upPlan = planChanges(current.snapshot, wanted);
  const downPlan = planChanges(wanted, current.snapshot);
  const result: AutogenerateResult = { revision: null, slug, parents, up: null, down: null, review: [], notes: upPlan.notes, cached: current.cached };
  if (!upPlan.statements.length) {
    ctx.report.line(`nothing to change: the folder's schema already is the wanted one (${opts.fromDb ? 'the --from-db database' : `[schema] files = "${config.schema.files}"`}); no files written`);
    return result;
  }
  const id = nextRevisionId(folder.revisions.map((r) => r.id), now);
  const message = opts.message ? [`-- ${opts.message.replace(/\n/g, '\n-- ')}`] : [];
  const up = renderRevision([`-- fmig:parent ${parents.join(' ')}`, ...message], upPlan);
  const down = renderRevision(message, downPlan);
  const dir = relative(config.root, config.dir) || '.';
  const upName = fileName(id, slug, 'up');
  const downName = fileName(id, slug, 'down');
  Object.assign(result, { revision: id, up: `${dir}/${upName}`, down: `${dir}/${downName}`, review: up.review });
  for (const r of up.review) ctx.report.warn(`review: ${r.reason}\n    ${r.sql}`);
  for (const n of upPlan.notes) ctx.report.warn(n);
  if (opts.dryRun) {
    ctx.report.line(`-- ${dir}/${upName} (not written: --dry-run)`);
    ctx.report.line(up.text);
    ctx.report.line(`-- ${dir}/${downName} (not written: --dry-run)`);
    ctx.report.line(down.text);
    return { ...result, upText: up.text, downText: down.text };
  }
  writeFileSync(join(config.dir, upName), up.text, { flag: 'wx' });
  writeFileSync(join(config.dir, downName), down.text, { flag: 'wx' });
  ctx.report.line(`${dir}/${upName}`);
  ctx.report.line(`${dir}/${downName}`);
  if (up.review.length) ctx.report.warn(`${up.review.length} statement(s) marked -- fmig:review in the up file: they lose data`);
  return result;
}
