/** `fmig new <slug>`: creates the up/down pair of a new revision on the current head. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError, StateError } from '../core/errors.js';
import { fileName } from '../core/names.js';
import { nextRevisionId, slugify } from '../core/new-id.js';
import type { Context } from './context.js';
import { requireOneHead } from './heads.js';
import { loadFolder, requireOneFolder } from './project.js';
import { folderExists } from '../adapters/files.js';

export interface NewOptions {
  slug?: string;
  message?: string;
  parents?: string[];
  noTransaction?: boolean;
}

export interface NewResult {
  revision: string;
  slug: string;
  parents: string[];
  up: string;
  down: string;
}

/**
 * What every new revision starts from: the project (a migrate.toml must exist), its slug, the
 * folder (made when missing) and its parents (`--parent`, else the one head). `command` names
 * the command in errors.
 */
export async function startRevision(ctx: Context, opts: { slug?: string; message?: string; parents?: string[] }, command: string) {
  const config = await ctx.config();
  if (!config.file) {
    throw new UsageError(
      `no migrate.toml in ${ctx.cwd} or any folder above it, so fmig does not know where revisions go`,
      'run `fmig init` to make one (or name one with --config)',
    );
  }
  const slug = slugify(opts.slug ?? opts.message ?? '');
  if (!slug) throw new UsageError(`${command} needs a slug (or -m "message")`, 'e.g. `fmig new add_invoices` or `fmig new -m "add invoices"`');
  requireOneFolder(config);
  if (!folderExists(config.dir)) mkdirSync(config.dir, { recursive: true });
  const folder = await loadFolder(config);
  let parents = opts.parents ?? [];
  if (parents.length) {
    const unknown = parents.filter((p) => !folder.byId.has(p));
    if (unknown.length) throw new StateError('unknown-parent', `--parent ${unknown.join(', ')}: no such revision in the folder`);
  } else {
    await requireOneHead(config, folder, 'new');
    parents = folder.graph.heads();
  }
  return { config, slug, folder, parents };
}

export async function newRevision(ctx: Context, opts: NewOptions, now = new Date()): Promise<NewResult> {
  const { config, slug, folder, parents } = await startRevision(ctx, opts, 'fmig new');
  const id = nextRevisionId(folder.revisions.map((r) => r.id), now);
  const dir = relative(config.root, config.dir) || '.';
  const header = (side: 'up' | 'down') =>
    [
      side === 'up' && parents.length ? `-- fmig:parent ${parents.join(' ')}` : '',
      opts.noTransaction ? '-- fmig:no-transaction' : '',
      opts.message ? `-- ${opts.message.replace(/\n/g, '\n-- ')}` : '',
    ].filter(Boolean);
  const up = fileName(id, slug, 'up');
  const down = fileName(id, slug, 'down');
  writeFileSync(join(config.dir, up), [...header('up'), '', ''].join('\n'), { flag: 'wx' });
  writeFileSync(join(config.dir, down), [...header('down'), '', ''].join('\n'), { flag: 'wx' });
  ctx.report.line(`${dir}/${up}`);
  ctx.report.line(`${dir}/${down}`);
  return { revision: id, slug, parents, up: `${dir}/${up}`, down: `${dir}/${down}` };
}
