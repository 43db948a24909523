/** `fmig heads`: the heads of the folder's graph (no database needed); and the one-head rule of `up` and `new`. */
import { relative } from 'node:path';
import type { Config } from '../adapters/config-types.js';
import { DivergentHeads, type HeadInfo } from '../core/errors.js';
import type { Folder } from '../core/folder.js';
import type { Context } from './context.js';
import { loadFolder } from './project.js';

export interface HeadsResult {
  heads: { revision: string; slug: string; file: string }[];
}

export async function heads(ctx: Context): Promise<HeadsResult> {
  const config = await ctx.config();
  const folder = await loadFolder(config);
  const result = { heads: headList(config, folder) };
  for (const h of result.heads) ctx.report.line(`${h.revision} ${h.slug}  (${h.file})`);
  if (result.heads.length > 1) ctx.report.warn(`${result.heads.length} heads: run \`fmig resolve\` to put them in one line`);
  return result;
}

function headList(config: Config, folder: Folder): HeadsResult['heads'] {
  const dir = relative(config.root, config.dir) || '.';
  return folder.graph.heads().map((id) => {
    const r = folder.byId.get(id)!;
    return { revision: r.id, slug: r.slug, file: `${dir}/${r.up.name}` };
  });
}

/** Throws DivergentHeads, with each head's origin in git, unless the graph has at most one head. */
export async function requireOneHead(config: Config, folder: Folder, command: string): Promise<void> {
  const list = headList(config, folder);
  if (list.length <= 1) return;
  const { originOf } = await import('../adapters/git.js');
  const origins = await originOf(config.root, list.map((h) => h.file)).catch(() => new Map());
  const heads: HeadInfo[] = list.map((h) => {
    const o = origins.get(h.file);
    return { ...h, origin: o ? `added in ${o.commit.slice(0, 10)} by ${o.author} on ${o.date}${o.via ? `, brought in by ${o.via}` : ''}` : undefined };
  });
  throw new DivergentHeads(heads, command);
}
