/**
 * Two branches that each ran `fmig new` on the same head pick the same sequence number, and
 * after the merge two pairs of files claim one id. `fmig resolve` renumbers all but one of
 * them (SPEC section 8); this decides the new ids and the `-- fmig:parent` lines that keep
 * every revision's parents what they were on its own branch.
 */
import { parseDirectives } from './directives.js';
import { StateError, type FileProblem } from './errors.js';
import type { SourceFile } from './folder.js';
import { compareIds, fileName, parseFileName } from './names.js';
import { nextRevisionId } from './new-id.js';
import { setParentLine } from './resolve-plan.js';

export interface Claimant {
  slug: string;
  up: string;
  down: string | null;
}

export interface DuplicateGroup {
  id: string;
  /** By slug. */
  claimants: Claimant[];
}

/**
 * The duplicate ids resolve can renumber; null when the folder has any other problem or a
 * claimant is not a well-formed pair (one up file, at most one down file).
 */
export function renumberableGroups(problems: readonly FileProblem[]): DuplicateGroup[] | null {
  if (!problems.length || problems.some((p) => p.code !== 'duplicate-id')) return null;
  const groups: DuplicateGroup[] = [];
  for (const p of problems) {
    const bySlug = new Map<string, { up: string[]; down: string[] }>();
    let id = '';
    for (const name of p.files) {
      const parsed = parseFileName(name);
      if (!parsed) return null;
      id = parsed.revision;
      const entry = bySlug.get(parsed.slug) ?? { up: [], down: [] };
      entry[parsed.direction].push(name);
      bySlug.set(parsed.slug, entry);
    }
    if (bySlug.size < 2) return null;
    const claimants: Claimant[] = [];
    for (const [slug, { up, down }] of bySlug) {
      if (up.length !== 1 || down.length > 1) return null;
      claimants.push({ slug, up: up[0], down: down[0] ?? null });
    }
    groups.push({ id, claimants: claimants.sort((a, b) => (a.slug < b.slug ? -1 : 1)) });
  }
  return groups.sort((a, b) => compareIds(a.id, b.id));
}

export interface ListedRevision {
  id: string;
  slug: string;
  upName: string;
  downName: string | null;
  /** The up file as it is (a BOM kept), for editing its parent line. */
  upText: string;
  /** The `-- fmig:parent` ids, or null when the parents are implied by id order. */
  explicitParents: string[] | null;
}

/** Every revision of the files, duplicated ids included; directive problems are left to parseFolder. */
export function listRevisions(files: readonly SourceFile[]): ListedRevision[] {
  const byKey = new Map<string, ListedRevision>();
  const decoder = new TextDecoder();
  for (const f of files) {
    const parsed = parseFileName(f.name);
    if (!parsed) continue;
    const key = `${parsed.revision}_${parsed.slug}`;
    const r = byKey.get(key) ?? { id: parsed.revision, slug: parsed.slug, upName: '', downName: null, upText: '', explicitParents: null };
    if (parsed.direction === 'down') r.downName = f.name;
    else {
      r.upName = f.name;
      r.upText = decoder.decode(f.bytes);
      r.explicitParents = parseDirectives(r.upText.replace(/^\uFEFF/, ''), 'up').directives.parents;
    }
    byKey.set(key, r);
  }
  return [...byKey.values()].filter((r) => r.upName).sort((a, b) => compareIds(a.id, b.id) || (a.slug < b.slug ? -1 : 1));
}

/** The revisions whose parent (named, or implied by id order) is a duplicated id: which claimant they mean must come from elsewhere. */
export function ambiguousParents(revisions: readonly ListedRevision[], groups: readonly DuplicateGroup[]): { revision: ListedRevision; parent: string }[] {
  const dup = new Set(groups.map((g) => g.id));
  const parentsOf = parentReader(revisions);
  return revisions.flatMap((r) => parentsOf(r).filter((p) => dup.has(p)).map((parent) => ({ revision: r, parent })));
}

/** A revision's parents as written: explicit, or the next lower id (every claimant of a duplicated id follows the same one). */
function parentReader(revisions: readonly ListedRevision[]): (r: ListedRevision) => string[] {
  const ids = [...new Set(revisions.map((r) => r.id))].sort(compareIds);
  const previous = new Map(ids.map((id, i) => [id, i === 0 ? [] : [ids[i - 1]]]));
  return (r) => r.explicitParents ?? previous.get(r.id)!;
}

export interface RenumberInput {
  revisions: readonly ListedRevision[];
  groups: readonly DuplicateGroup[];
  /** Per duplicated id, its claimants' slugs: the first keeps the id, the others get new ids in this order. */
  order: ReadonlyMap<string, readonly string[]>;
  /** The slug of the claimant of `parent` that the revision with up file `upName` was written on, when known. */
  meant: (upName: string, parent: string) => string | null;
  now: Date;
}

export interface Renumbering {
  /** Claimants given a new id, in the order they got it. */
  moved: { id: string; slug: string; newId: string; files: [string, string][] }[];
  /** Up files (by name after the renames) whose parent line must change to keep their parents. */
  edits: { file: string; parents: string[]; text: string }[];
  /** Parents that could not be told apart: the file, and the duplicated id it follows. */
  unresolved: { file: string; parent: string }[];
}

/** Renumbers the claimants after the first of each duplicated id, keeping every revision's parents. */
export function planRenumber(input: RenumberInput): Renumbering {
  const key = (id: string, slug: string) => `${id}_${slug}`;
  const ids = input.revisions.map((r) => r.id);
  const finalId = new Map<string, string>();
  const moved: Renumbering['moved'] = [];
  const claimed = new Map(input.groups.map((g) => [g.id, g]));
  for (const g of input.groups) {
    for (const slug of input.order.get(g.id)!.slice(1)) {
      const c = g.claimants.find((x) => x.slug === slug)!;
      const newId = nextRevisionId(ids, input.now);
      ids.push(newId);
      finalId.set(key(g.id, slug), newId);
      const files: [string, string][] = [[c.up, fileName(newId, slug, 'up')]];
      if (c.down) files.push([c.down, fileName(newId, slug, 'down')]);
      moved.push({ id: g.id, slug, newId, files });
    }
  }
  const idOf = (r: ListedRevision) => finalId.get(key(r.id, r.slug)) ?? r.id;

  const unresolved: Renumbering['unresolved'] = [];
  const intended = new Map<ListedRevision, string[]>();
  const parentsOf = parentReader(input.revisions);
  for (const r of input.revisions) {
    const parents = parentsOf(r).map((p) => {
      if (!claimed.has(p)) return p;
      const slug = input.meant(r.upName, p);
      if (slug === null) unresolved.push({ file: r.upName, parent: p });
      return finalId.get(key(p, slug ?? '')) ?? p;
    });
    intended.set(r, parents);
  }

  // What the folder would say after the renames; where that differs, the file gets the line.
  const after = [...input.revisions].sort((a, b) => compareIds(idOf(a), idOf(b)));
  const edits: Renumbering['edits'] = [];
  after.forEach((r, i) => {
    const want = intended.get(r)!;
    const read = r.explicitParents ?? (i === 0 ? [] : [idOf(after[i - 1])]);
    if (want.length === read.length && want.every((p, j) => p === read[j])) return;
    edits.push({ file: fileName(idOf(r), r.slug, 'up'), parents: want, text: setParentLine(r.upText, want) });
  });
  return { moved, edits, unresolved };
}

/**
 * Which claimant of a duplicated id keeps it (first in `slugs`): the first in git's order, by
 * `rank` of its up file; with `merge`, the one in use (published or applied), whose id cannot
 * change. Throws when more than one claimant is in use.
 */
export function claimantOrder(
  g: DuplicateGroup,
  rank: (file: string) => readonly [number, number, string],
  inUse: ReadonlyMap<string, string>,
  merge: boolean,
): { slugs: string[]; why: string } {
  if (inUse.size > 1) {
    throw new StateError(
      'duplicate-id-in-use',
      `refusing to renumber: revision ${g.id} is claimed by ${[...inUse].map(([slug, how]) => `${g.id}_${slug} (${how})`).join(' and ')}; a published or applied revision keeps its id, so none of them can be renumbered`,
      'each database that has one of them applied must revert it first (`fmig down` on a checkout that has only that side), then `fmig resolve` can renumber it',
    );
  }
  const ranked = [...g.claimants].sort((a, b) => {
    const [x, y] = [rank(a.up), rank(b.up)];
    return x[0] - y[0] || x[1] - y[1] || (a.slug < b.slug ? -1 : 1);
  });
  const [pinned] = inUse.keys();
  if (merge && pinned !== undefined) {
    return { slugs: [pinned, ...ranked.map((c) => c.slug).filter((s) => s !== pinned)], why: `it is ${inUse.get(pinned)}` };
  }
  return { slugs: ranked.map((c) => c.slug), why: rank(ranked[0].up)[2] };
}
