/**
 * `fmig resolve`: puts divergent heads back in one line (SPEC section 8). The head that reached
 * `git.main` first keeps its place; the others are rebased onto it, or with `--merge` joined by
 * a merge revision. Tracked files it renames or edits are staged (renames with `git mv`), and
 * so are the files of a merge revision, so that a merge in progress can be committed as it is.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as G from '../adapters/git-resolve.js';
import { readFolder } from '../adapters/files.js';
import { loadHasher } from '../core/checksum.js';
import { StateError } from '../core/errors.js';
import { parseFolder, type Folder } from '../core/folder.js';
import { compareIds } from '../core/names.js';
import { hasConflictMarkers, planMerge, planRebase, type RebasePlan } from '../core/resolve-plan.js';
import type { Context } from './context.js';
import { reachableLedger } from './history.js';
import { loadFolder } from './project.js';

export interface ResolveOptions {
  merge?: boolean;
  dryRun?: boolean;
}

export interface ResolveResult {
  mode: 'none' | 'rebase' | 'merge';
  dryRun: boolean;
  /** The heads in the order resolve put them, the kept one first, with why. */
  heads: { revision: string; slug: string; why: string }[];
  moved: string[];
  renamed: { from: string; to: string }[];
  edited: { file: string; parents: string[] }[];
  created: string[];
}

export async function resolve(ctx: Context, opts: ResolveOptions, now = new Date()): Promise<ResolveResult> {
  const config = await ctx.config();
  const dirLabel = relative(config.root, config.dir) || '.';
  const shown = (name: string) => `${dirLabel}/${name}`;
  const raw = readFolder(config.dir, dirLabel);
  const marked = raw.filter((f) => f.name.endsWith('.sql') && hasConflictMarkers(new TextDecoder().decode(f.bytes)));
  if (marked.length) {
    throw new StateError(
      'conflict-markers',
      `refusing to resolve: ${marked.map((f) => shown(f.name)).join(', ')} ${marked.length === 1 ? 'has' : 'have'} git conflict markers`,
      'settle the conflict in those files first (keep one side, or both as separate revisions), then run `fmig resolve` again',
    );
  }
  const folder = await loadFolder(config);
  const result: ResolveResult = { mode: 'none', dryRun: !!opts.dryRun, heads: [], moved: [], renamed: [], edited: [], created: [] };
  if (folder.graph.heads().length <= 1) {
    ctx.report.line('nothing to resolve: the revision graph has one head');
    return result;
  }

  const git = await G.repoState(config.dir, config.git.main);
  if (!git) ctx.report.warn('not in a git repository: the heads are taken in id order, and no revision counts as published');
  else if (!git.main) ctx.report.warn(`git.main (${git.mainWanted}) not found: no revision counts as published`);
  const ordered = await orderHeads(folder, config.dir, git);
  result.heads = ordered.map(({ id, why }) => ({ revision: id, slug: folder.byId.get(id)!.slug, why }));
  const heads = ordered.map((h) => h.id);
  const tracked = git ? await G.trackedNames(config.dir) : new Set<string>();
  const verb = (done: string, todo: string) => (opts.dryRun ? `would ${todo}` : done);
  ctx.report.line(`kept ${heads[0]}_${folder.byId.get(heads[0])!.slug}: ${ordered[0].why}`);

  if (opts.merge) {
    const m = planMerge(folder.revisions.map((r) => r.id), heads, now);
    result.mode = 'merge';
    result.created = [shown(m.up.name), shown(m.down.name)];
    if (!opts.dryRun) {
      writeFileSync(join(config.dir, m.up.name), m.up.text, { flag: 'wx' });
      writeFileSync(join(config.dir, m.down.name), m.down.text, { flag: 'wx' });
      if (git) await G.gitAdd(config.dir, [m.up.name, m.down.name]);
    }
    for (const f of result.created) ctx.report.line(`${verb('created', 'create')} ${f}`);
    ctx.report.line(`merge revision ${m.revision} joins ${heads.join(', ')}`);
    if (opts.dryRun) ctx.report.line('dry run: nothing was changed');
    return result;
  }

  const ledger = await reachableLedger(ctx, config, 'going on as if nothing were applied there');
  const { plan, refusals } = planRebase({
    revisions: folder.revisions.map((r) => ({ ...r, upName: r.up.name, downName: r.down?.name ?? null, upText: r.up.text })),
    graph: folder.graph,
    heads,
    published: await publishedIds(folder, config.dir, git),
    applied: new Set(ledger?.rows.map((r) => r.revision) ?? []),
    now,
  });
  if (refusals.length) {
    const why = refusals.map((r) =>
      r.reason === 'published' ? `${r.revision} is published (reachable from ${git!.main})` : `${r.revision} is applied in ${ledger!.display}`,
    );
    throw new StateError(
      'cannot-rebase',
      `refusing to rebase: a moved revision must be neither published nor applied, and\n  ${why.join('\n  ')}`,
      'run `fmig resolve --merge` to join the heads with a merge revision instead',
    );
  }
  await checkResult(folder, plan, config.dir);

  result.mode = 'rebase';
  result.moved = plan.moved;
  result.renamed = plan.renames.flatMap((r) => r.files.map(([from, to]) => ({ from: shown(from), to: shown(to) })));
  result.edited = plan.edits.map((e) => ({ file: shown(e.file), parents: e.parents }));
  if (!opts.dryRun) await apply(plan, config.dir, tracked);
  for (const h of heads.slice(1)) ctx.report.line(`${verb('moved', 'move')} ${h}_${folder.byId.get(h)!.slug}'s side onto the line of ${heads[0]}`);
  for (const r of result.renamed) ctx.report.line(`${verb('renamed', 'rename')} ${r.from} -> ${r.to}`);
  for (const e of result.edited) ctx.report.line(`${verb('edited', 'edit')} ${e.file}: -- fmig:parent ${e.parents.join(' ')}`);
  if (opts.dryRun) ctx.report.line('dry run: nothing was changed');
  return result;
}

/** Heads in the order they reached git.main, then those already on this branch, then those coming in, then the rest; ties by id. */
async function orderHeads(folder: Folder, dir: string, git: G.RepoState | null): Promise<{ id: string; why: string }[]> {
  const tiers: { order: Map<string, number>; why: string }[] = [];
  if (git) {
    if (git.main) tiers.push({ order: await G.additionOrder(dir, git.main, true), why: `it reached ${git.main} first` });
    tiers.push({ order: await G.additionOrder(dir, 'HEAD', false).catch(() => new Map<string, number>()), why: 'it was on this branch (HEAD) first' });
    for (const ref of git.incoming) tiers.push({ order: await G.additionOrder(dir, ref, false), why: `it came in with ${ref}` });
  }
  const rank = (id: string): [number, number, string] => {
    const file = folder.byId.get(id)!.up.name;
    const t = tiers.findIndex((x) => x.order.has(file));
    return t === -1 ? [tiers.length, 0, git ? 'it is not committed yet' : 'it has the lowest id'] : [t, tiers[t].order.get(file)!, tiers[t].why];
  };
  return folder.graph
    .heads()
    .map((id) => ({ id, rank: rank(id) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || compareIds(a.id, b.id))
    .map(({ id, rank: [, , why] }) => ({ id, why }));
}

async function publishedIds(folder: Folder, dir: string, git: G.RepoState | null): Promise<Set<string>> {
  if (!git?.main) return new Set();
  const names = await G.namesAt(dir, git.main);
  return new Set(folder.revisions.filter((r) => names.has(r.up.name)).map((r) => r.id));
}

/** Reads the folder back as it would be after the plan: it must parse, with one head. */
async function checkResult(folder: Folder, plan: RebasePlan, dir: string): Promise<void> {
  const files = new Map(readFolder(dir).map((f) => [f.name, f.bytes]));
  for (const r of plan.renames) {
    for (const [from, to] of r.files) {
      files.set(to, files.get(from)!);
      files.delete(from);
    }
  }
  for (const e of plan.edits) files.set(e.file, new TextEncoder().encode(e.text));
  const after = parseFolder([...files].map(([name, bytes]) => ({ name, bytes })), await loadHasher());
  if (after.graph.heads().length !== 1) {
    throw new Error(`resolve planned a folder with heads ${after.graph.heads().join(', ')} (from ${folder.graph.heads().join(', ')})`);
  }
}

async function apply(plan: RebasePlan, dir: string, tracked: Set<string>): Promise<void> {
  const stage: string[] = [];
  for (const r of plan.renames) {
    for (const [from, to] of r.files) {
      if (tracked.has(from)) {
        await G.gitMove(dir, from, to);
        tracked.add(to);
      } else renameSync(join(dir, from), join(dir, to));
    }
  }
  for (const e of plan.edits) {
    writeFileSync(join(dir, e.file), e.text);
    if (tracked.has(e.file)) stage.push(e.file);
  }
  await G.gitAdd(dir, stage);
}
