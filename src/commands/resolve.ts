/**
 * `fmig resolve`: puts divergent heads back in one line (SPEC section 8). The head that reached
 * `git.main` first keeps its place; the others are rebased onto it, or with `--merge` joined by
 * a merge revision. Two branches that picked the same id are divergent heads too: all but one
 * claimant of the id are first renumbered past the highest id. Tracked files it renames or
 * edits are staged (renames with `git mv`), and so are the files of a merge revision, so that
 * a merge in progress can be committed as it is.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as G from '../adapters/git-resolve.js';
import type { LedgerRow } from '../adapters/db/ledger.js';
import { readFolder } from '../adapters/files.js';
import { loadHasher, type Hasher } from '../core/checksum.js';
import { ambiguousParents, claimantOrder, listRevisions, planRenumber, renumberableGroups, type DuplicateGroup, type Renumbering } from '../core/duplicate-ids.js';
import { FolderError, StateError } from '../core/errors.js';
import { parseFolder, type Folder, type SourceFile } from '../core/folder.js';
import { compareIds } from '../core/names.js';
import { hasConflictMarkers, planMerge, planRebase, type RebasePlan } from '../core/resolve-plan.js';
import type { Config } from '../adapters/config-types.js';
import type { Context } from './context.js';
import { reachableLedger } from './history.js';
import { mayRevert, revertMoveReapply, staleRows } from './resolve-applied.js';

export interface ResolveOptions {
  merge?: boolean;
  dryRun?: boolean;
  /** Revert and re-apply moved revisions applied in a database that is not the embedded one. */
  yes?: boolean;
  /** Rebase even when the two orders of the sides give different schemas, or one fails. */
  force?: boolean;
}

export interface ResolveResult {
  mode: 'none' | 'rebase' | 'merge';
  dryRun: boolean;
  /** The heads in the order resolve put them, the kept one first, with why. */
  heads: { revision: string; slug: string; why: string }[];
  /** Claimants of a duplicated id given a new one. */
  renumbered: { revision: string; slug: string; to: string }[];
  moved: string[];
  renamed: { from: string; to: string }[];
  edited: { file: string; parents: string[] }[];
  created: string[];
  /** Applied revisions reverted before the move and those applied after it (the development database). */
  reverted: string[];
  applied: string[];
  /** For a rebase, each pair of heads: whether their sides commute, or what replaying both orders gave. */
  order: { heads: [string, string]; verdict: 'commutes' | 'same' | 'column-order' | 'different' | 'fails'; shared: string[] }[];
}

type Ledger = { rows: LedgerRow[]; display: string } | null;
/** Where a file stands in git's order of arrival: tier, position in it, and why. */
type Rank = (name: string) => [number, number, string];

/**
 * `now` only feeds new ids: by default the epoch, so that a new id is the one after the
 * highest in the folder whatever the time, and a dry run shows the ids the real run will use.
 */
export async function resolve(ctx: Context, opts: ResolveOptions, now = new Date(0)): Promise<ResolveResult> {
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
  const hash = await loadHasher();
  let parsed: Folder | null = null;
  let groups: DuplicateGroup[] | null = null;
  try {
    parsed = parseFolder(raw, hash);
  } catch (e) {
    groups = e instanceof FolderError ? renumberableGroups(e.problems) : null;
    if (!groups) throw e;
  }
  const result: ResolveResult = { mode: 'none', dryRun: !!opts.dryRun, heads: [], renumbered: [], moved: [], renamed: [], edited: [], created: [], reverted: [], applied: [], order: [] };
  if (parsed && parsed.graph.heads().length <= 1) {
    ctx.report.line('nothing to resolve: the revision graph has one head');
    return result;
  }

  const git = await G.repoState(config.dir, config.git.main);
  if (!git) ctx.report.warn('not in a git repository: the heads are taken in id order, and no revision counts as published');
  else if (!git.main) ctx.report.warn(`git.main (${git.mainWanted}) not found: no revision counts as published`);
  const rank = await ranker(config.dir, git);
  const mainNames = git?.main ? await G.namesAt(config.dir, git.main) : new Set<string>();
  let ledger: Ledger | undefined;
  const readLedger = async () => (ledger === undefined ? (ledger = await reachableLedger(ctx, config, 'going on as if nothing were applied there')) : ledger);
  const verb = (done: string, todo: string) => (opts.dryRun ? `would ${todo}` : done);
  // A development database: what is applied there but not published may be reverted and re-applied around the move.
  const revertible = mayRevert(config, !!opts.yes);

  let renum: Renumbering = { moved: [], edits: [], unresolved: [] };
  if (groups) {
    const listed = listRevisions(raw);
    const ledgerNow = await readLedger();
    const order = new Map<string, string[]>();
    for (const g of groups) {
      const inUse = new Map<string, string>();
      for (const c of g.claimants) {
        if (mainNames.has(c.up)) inUse.set(c.slug, `published on ${git!.main}`);
        else if ((!revertible || opts.merge) && ledgerNow?.rows.some((r) => r.revision === g.id && r.slug === c.slug)) inUse.set(c.slug, `applied in ${ledgerNow.display}`);
      }
      const { slugs, why } = inDevelopment(() => claimantOrder(g, rank, inUse, !!opts.merge), [...inUse.values()].some((how) => how.startsWith('applied')), ledgerNow?.display, revertible);
      order.set(g.id, slugs);
      ctx.report.line(`id ${g.id} stays with ${g.id}_${slugs[0]}: ${why}`);
    }
    const meant = await parentClaimants(config.dir, git, listed, groups);
    renum = planRenumber({ revisions: listed, groups, order, meant, now });
    if (renum.unresolved.length) {
      throw new StateError(
        'ambiguous-parent',
        `refusing to renumber: ${renum.unresolved.map((u) => `${shown(u.file)} follows ${u.parent}, which more than one pair of files claims`).join('; ')}, and git does not tell which it was written on`,
        'commit it on its own branch first, or rename one pair by hand and set the `-- fmig:parent` lines that follow it',
      );
    }
    result.renumbered = renum.moved.map((m) => ({ revision: m.id, slug: m.slug, to: m.newId }));
    for (const m of renum.moved) ctx.report.line(`${verb('renumbered', 'renumber')} ${m.id}_${m.slug} to ${m.newId}`);
  }
  const folder = parsed ?? parseFolder(sources(afterChanges(raw, net(renum, null))), hash);

  // Git and the ledger know the files by their names before any renumbering.
  const movedTo = new Map(renum.moved.map((m) => [m.newId, m]));
  const originalName = new Map(renum.moved.flatMap((m) => m.files.map(([from, to]) => [to, from])));
  const original = (name: string) => originalName.get(name) ?? name;
  const label = (id: string) => (movedTo.has(id) ? `${movedTo.get(id)!.id}_${movedTo.get(id)!.slug}` : id);
  const tracked = git ? await G.trackedNames(config.dir) : new Set<string>();

  const changeFiles = async (plan: RebasePlan | null) => {
    const changes = net(renum, plan);
    result.renamed = changes.renames.map(([from, to]) => ({ from: shown(from), to: shown(to) }));
    result.edited = changes.edits.map((e) => ({ file: shown(e.file), parents: e.parents }));
    if (!opts.dryRun) await apply(changes, config.dir, tracked);
    for (const r of result.renamed) ctx.report.line(`${verb('renamed', 'rename')} ${r.from} -> ${r.to}`);
    for (const e of result.edited) ctx.report.line(`${verb('edited', 'edit')} ${e.file}: -- fmig:parent ${e.parents.join(' ')}`);
  };
  // Applied revisions the move makes stale are reverted first and applied again after it.
  const finish = async (plan: RebasePlan | null, extra: Map<string, Uint8Array> = new Map(), writeExtra = async () => {}) => {
    const change = async () => {
      await changeFiles(plan);
      await writeExtra();
    };
    const rows = (await readLedger())?.rows ?? [];
    if (!rows.length) return change();
    const files = afterChanges(raw, net(renum, plan));
    for (const [name, bytes] of extra) files.set(name, bytes);
    const after = parseFolder(sources(files), hash);
    const stale = staleRows(rows, after);
    if (!stale.length) return change();
    if (!revertible) {
      throw new StateError(
        'cannot-rebase',
        `refusing to resolve: ${stale.map((r) => `${r.revision}_${r.slug}`).join(', ')} ${stale.length === 1 ? 'is' : 'are'} applied in ${ledger!.display} and would no longer match the files`,
        `if ${ledger!.display} is a development database, \`fmig resolve --yes\` reverts ${stale.length === 1 ? 'it' : 'them'} first (with the down SQL the ledger kept) and applies ${stale.length === 1 ? 'it' : 'them'} again after the move`,
      );
    }
    const done = await revertMoveReapply(ctx, config, ledger!.display, stale, rows, after, change, !!opts.dryRun);
    result.reverted = done.reverted;
    result.applied = done.applied;
  };
  const done = () => {
    if (opts.dryRun) ctx.report.line('dry run: nothing was changed');
    return result;
  };

  if (folder.graph.heads().length <= 1) {
    await finish(null);
    ctx.report.line('the revision graph has one head');
    return done();
  }
  const ordered = orderHeads(folder, rank, original);
  result.heads = ordered.map(({ id, why }) => ({ revision: id, slug: folder.byId.get(id)!.slug, why }));
  const heads = ordered.map((h) => h.id);
  ctx.report.line(`kept ${heads[0]}_${folder.byId.get(heads[0])!.slug}: ${ordered[0].why}`);

  if (opts.merge) {
    const m = planMerge(folder.revisions.map((r) => r.id), heads, now);
    result.mode = 'merge';
    result.created = [shown(m.up.name), shown(m.down.name)];
    const mergeFiles = new Map([m.up, m.down].map((f) => [f.name, new TextEncoder().encode(f.text)]));
    await finish(null, mergeFiles, async () => {
      if (!opts.dryRun) {
        writeFileSync(join(config.dir, m.up.name), m.up.text, { flag: 'wx' });
        writeFileSync(join(config.dir, m.down.name), m.down.text, { flag: 'wx' });
        if (git) await G.gitAdd(config.dir, [m.up.name, m.down.name]);
      }
      for (const f of result.created) ctx.report.line(`${verb('created', 'create')} ${f}`);
      ctx.report.line(`merge revision ${m.revision} joins ${heads.join(', ')}`);
    });
    return done();
  }

  const rows = (await readLedger())?.rows ?? [];
  const dupIds = new Set(groups?.map((g) => g.id));
  // Applied and not published, in a development database: moved all the same, reverted and re-applied around the move.
  const movable = (id: string) => revertible && !mainNames.has(original(folder.byId.get(id)!.up.name));
  const applied = new Set(
    folder.revisions
      .filter((r) => {
        const id = movedTo.get(r.id)?.id ?? r.id;
        // A duplicated id in the ledger says which claimant is applied only together with its slug.
        return rows.some((row) => row.revision === id && (!dupIds.has(id) || row.slug === r.slug));
      })
      .map((r) => r.id)
      .filter((id) => !movable(id)),
  );
  const { plan, refusals } = planRebase({
    revisions: folder.revisions.map((r) => ({ ...r, upName: r.up.name, downName: r.down?.name ?? null, upText: r.up.text })),
    graph: folder.graph,
    heads,
    published: new Set(folder.revisions.filter((r) => mainNames.has(original(r.up.name))).map((r) => r.id)),
    applied,
    now,
  });
  if (refusals.length) {
    const why = refusals.map((r) =>
      r.reason === 'published' ? `${label(r.revision)} is published (reachable from ${git!.main})` : `${label(r.revision)} is applied in ${ledger!.display}`,
    );
    const dev = refusals.some((r) => r.reason === 'applied')
      ? `if ${ledger!.display} is a development database, \`fmig resolve --yes\` reverts the applied revisions there first and applies them again after the move; otherwise `
      : '';
    throw new StateError(
      'cannot-rebase',
      `refusing to rebase: a moved revision must be neither published nor applied, and\n  ${why.join('\n  ')}`,
      dev + (renum.moved.length
        ? 'run `fmig resolve --merge` instead: the applied or published claimant keeps its id, the other is renumbered, and a merge revision joins the heads'
        : 'run `fmig resolve --merge` to join the heads with a merge revision instead'),
    );
  }
  await judgeOrder(ctx, config, folder, heads, shown, !!opts.force, result);
  checkResult(folder, plan, afterChanges(raw, net(renum, null)), hash);
  result.mode = 'rebase';
  result.moved = plan.moved;
  for (const h of heads.slice(1)) ctx.report.line(`${verb('moved', 'move')} ${h}_${folder.byId.get(h)!.slug}'s side onto the line of ${heads[0]}`);
  await finish(plan);
  return done();
}

/** For revisions whose parent is a duplicated id: the claimant that was in the folder when git first saw them. */
async function parentClaimants(dir: string, git: G.RepoState | null, listed: ReturnType<typeof listRevisions>, groups: DuplicateGroup[]) {
  const refs = git ? ['HEAD', ...git.incoming, ...(git.main ? [git.main] : [])] : [];
  const seen = new Map<string, Set<string> | null>();
  for (const { revision } of ambiguousParents(listed, groups)) {
    if (git && !seen.has(revision.upName)) seen.set(revision.upName, await G.namesWhenAdded(dir, revision.upName, refs));
  }
  return (upName: string, parent: string): string | null => {
    const names = seen.get(upName);
    const hits = names ? groups.find((g) => g.id === parent)!.claimants.filter((c) => names.has(c.up)) : [];
    return hits.length === 1 ? hits[0].slug : null;
  };
}

/** Files ranked: those that reached git.main (in order), then those already on this branch, then those coming in, then the rest. */
async function ranker(dir: string, git: G.RepoState | null): Promise<Rank> {
  const tiers: { order: Map<string, number>; why: string }[] = [];
  if (git) {
    if (git.main) tiers.push({ order: await G.additionOrder(dir, git.main, true), why: `it reached ${git.main} first` });
    tiers.push({ order: await G.additionOrder(dir, 'HEAD', false).catch(() => new Map<string, number>()), why: 'it was on this branch (HEAD) first' });
    for (const ref of git.incoming) tiers.push({ order: await G.additionOrder(dir, ref, false), why: `it came in with ${ref}` });
  }
  return (file) => {
    const t = tiers.findIndex((x) => x.order.has(file));
    return t === -1 ? [tiers.length, 0, git ? 'it is not committed yet' : 'it has the lowest id'] : [t, tiers[t].order.get(file)!, tiers[t].why];
  };
}

/** Heads in git's order of arrival of their up files (by their names before any renumbering); ties by id. */
function orderHeads(folder: Folder, rank: Rank, original: (name: string) => string): { id: string; why: string }[] {
  return folder.graph
    .heads()
    .map((id) => ({ id, rank: rank(original(folder.byId.get(id)!.up.name)) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || compareIds(a.id, b.id))
    .map(({ id, rank: [, , why] }) => ({ id, why }));
}

interface Changes {
  /** [from, to], from the names on disk to the final ones. */
  renames: [string, string][];
  /** Up files (final names) and their new text. */
  edits: { file: string; parents: string[]; text: string }[];
}

/** The renumbering followed by the rebase plan, as one set of renames and edits of the files on disk. */
function net(renum: Renumbering, plan: RebasePlan | null): Changes {
  const renames: [string, string][] = renum.moved.flatMap((m) => m.files.map(([a, b]): [string, string] => [a, b]));
  const after = new Map<string, string>();
  for (const [from, to] of plan?.renames.flatMap((r) => r.files) ?? []) {
    const chained = renames.find(([, b]) => b === from);
    if (chained) chained[1] = to;
    else renames.push([from, to]);
    after.set(from, to);
  }
  const edits = new Map(renum.edits.map((e) => [after.get(e.file) ?? e.file, { ...e, file: after.get(e.file) ?? e.file }]));
  for (const e of plan?.edits ?? []) edits.set(e.file, { file: e.file, parents: e.parents, text: e.text });
  return { renames, edits: [...edits.values()] };
}

function afterChanges(files: readonly SourceFile[], changes: Changes): Map<string, Uint8Array> {
  const out = new Map(files.map((f) => [f.name, f.bytes]));
  for (const [from, to] of changes.renames) {
    out.set(to, out.get(from)!);
    out.delete(from);
  }
  for (const e of changes.edits) out.set(e.file, new TextEncoder().encode(e.text));
  return out;
}

const sources = (files: Map<string, Uint8Array>): SourceFile[] => [...files].map(([name, bytes]) => ({ name, bytes }));

/** Reads the folder back as it would be after the plan: it must parse, with one head. */
function checkResult(folder: Folder, plan: RebasePlan, files: Map<string, Uint8Array>, hash: Hasher): void {
  const after = parseFolder(sources(afterChanges(sources(files), net({ moved: [], edits: [], unresolved: [] }, plan))), hash);
  if (after.graph.heads().length !== 1) {
    throw new Error(`resolve planned a folder with heads ${after.graph.heads().join(', ')} (from ${folder.graph.heads().join(', ')})`);
  }
}

async function apply(changes: Changes, dir: string, tracked: Set<string>): Promise<void> {
  const stage: string[] = [];
  for (const [from, to] of changes.renames) {
    if (tracked.has(from)) {
      await G.gitMove(dir, from, to);
      tracked.add(to);
    } else renameSync(join(dir, from), join(dir, to));
  }
  for (const e of changes.edits) {
    writeFileSync(join(dir, e.file), e.text);
    if (tracked.has(e.file)) stage.push(e.file);
  }
  await G.gitAdd(dir, stage);
}

/** A refusal because a revision is applied, where that database may be a development one: says that --yes moves it. */
function inDevelopment<T>(fn: () => T, applied: boolean, display: string | undefined, revertible: boolean): T {
  try {
    return fn();
  } catch (e) {
    if (!applied || !(e instanceof StateError)) throw e;
    const how = 'reverts the applied revision there first (with the down SQL the ledger kept), renumbers it, and applies it again';
    throw new StateError(
      e.code,
      e.message,
      revertible
        ? `\`fmig resolve\` without --merge ${how}; or ${e.hint}`
        : `if ${display} is a development database, \`fmig resolve --yes\` ${how}; otherwise ${e.hint}`,
    );
  }
}

/**
 * A rebase puts one side after the other. Sides that touch no object in common commute: say
 * why. Otherwise both orders are replayed from main's head: the same schema (or the same but
 * for column order) is a warning; different schemas, or an order that fails, a refusal unless
 * `force`.
 */
async function judgeOrder(ctx: Context, config: Config, folder: Folder, heads: string[], shown: (name: string) => string, force: boolean, result: ResolveResult): Promise<void> {
  const [{ judgeHeads }, words] = await Promise.all([import('./commute.js'), import('../commute/findings.js')]);
  for (const j of await judgeHeads(ctx, config, folder, heads, shown)) {
    result.order.push({ heads: [j.a.head, j.b.head], verdict: j.verdict?.kind ?? 'commutes', shared: j.shared.map((x) => x.object) });
    if (!j.shared.length) {
      ctx.report.line(`the order cannot matter: ${words.whyCommutes(j)}`);
      continue;
    }
    const proof = words.proofText(j);
    const said = `${j.a.head}'s and ${j.b.head}'s sides both touch ${words.sharedText(j)}; ${proof.text}`;
    if (proof.error && !force) {
      throw new StateError(
        'order-matters',
        `refusing to rebase: ${said}${proof.detail.map((d) => `\n    ${d}`).join('')}`,
        `\`fmig resolve --force\` rebases all the same, ${j.b.head}'s side after ${j.a.head}'s; \`fmig resolve --merge\` joins the heads with a merge revision instead; or change a revision so that both orders agree`,
      );
    }
    ctx.report.warn(proof.error ? `${said} (--force: rebasing in this order all the same)` : said);
    for (const d of proof.detail) ctx.report.warn(`    ${d}`);
  }
}
