/**
 * What `fmig resolve` changes (SPEC section 8), computed from the graph alone: which revisions
 * move, their new ids and parents, and the text edits of their `-- fmig:parent` (or `root`) lines.
 */
import type { RevisionGraph } from './graph.js';
import { fileName, compareIds } from './names.js';
import { nextRevisionId } from './new-id.js';

export interface PlanRevision {
  id: string;
  slug: string;
  /** Parents as the graph uses them (explicit, or implied by id order). */
  parents: readonly string[];
  explicitParents: boolean;
  upName: string;
  downName: string | null;
  upText: string;
}

export interface RebaseInput {
  revisions: readonly PlanRevision[];
  graph: RevisionGraph;
  /** The heads, first the one that keeps its place, then in the order they are moved onto it. */
  heads: readonly string[];
  published: ReadonlySet<string>;
  applied: ReadonlySet<string>;
  now: Date;
}

export interface Rename {
  revision: string;
  newId: string;
  /** [from, to] file names: the up file, and the down file where there is one. */
  files: [string, string][];
}

export interface ParentEdit {
  revision: string;
  /** The up file's name after any rename. */
  file: string;
  parents: string[];
  text: string;
}

export interface RebasePlan {
  kept: string;
  /** Every revision moved, by its id before the move, in application order. */
  moved: string[];
  renames: Rename[];
  edits: ParentEdit[];
}

export interface Refusal {
  revision: string;
  reason: 'published' | 'applied';
}

/** Plans the rebase of every head after the first onto the one before it; refusals when a moved revision is published or applied. */
export function planRebase(input: RebaseInput): { plan: RebasePlan; refusals: Refusal[] } {
  const { graph, heads } = input;
  const index = graph.index();
  const byOrder = (a: string, b: string) => index.get(a)! - index.get(b)!;
  const placed = new Set([heads[0], ...graph.ancestors(heads[0])]);
  const intended = new Map<string, string[]>(input.revisions.map((r) => [r.id, [...r.parents]]));
  const roots = new Set<string>();
  const moved: string[] = [];
  const tips: string[] = [];
  let tip = heads[0];
  for (const head of heads.slice(1)) {
    const side = [head, ...graph.ancestors(head)].filter((id) => !placed.has(id)).sort(byOrder);
    for (const id of side) {
      if (graph.parents(id).every((p) => placed.has(p))) {
        intended.set(id, [tip]);
        roots.add(id);
      }
    }
    for (const id of side) placed.add(id);
    moved.push(...side);
    tips.push(tip);
    tip = head;
  }

  const refusals: Refusal[] = [];
  for (const id of moved) {
    if (input.published.has(id)) refusals.push({ revision: id, reason: 'published' });
    else if (input.applied.has(id)) refusals.push({ revision: id, reason: 'applied' });
  }

  // A moved revision keeps its id only when it still sorts after each of its new parents.
  const newId = new Map<string, string>();
  const ids = input.revisions.map((r) => r.id);
  const final = (id: string) => newId.get(id) ?? id;
  for (const id of moved) {
    const parents = intended.get(id)!.map(final);
    if (parents.every((p) => compareIds(id, p) > 0)) continue;
    const fresh = nextRevisionId(ids, input.now);
    ids.push(fresh);
    newId.set(id, fresh);
  }

  const byId = new Map(input.revisions.map((r) => [r.id, r]));
  const renames: Rename[] = [...newId].map(([id, to]) => {
    const r = byId.get(id)!;
    const files: [string, string][] = [[r.upName, fileName(to, r.slug, 'up')]];
    if (r.downName) files.push([r.downName, fileName(to, r.slug, 'down')]);
    return { revision: id, newId: to, files };
  });

  const edits: ParentEdit[] = [];
  for (const id of needParentLine(input.revisions, intended, final, roots)) {
    const r = byId.get(id)!;
    const parents = intended.get(id)!.map(final);
    edits.push({ revision: id, file: fileName(final(id), r.slug, 'up'), parents, text: setParentLine(r.upText, parents) });
  }
  edits.sort((a, b) => byOrder(a.revision, b.revision));
  return { plan: { kept: heads[0], moved, renames, edits }, refusals };
}

/**
 * The revisions whose parents, read back after the renames, would not be the intended ones:
 * an explicit parent that was renamed, or an implied parent that changed with the id order.
 * The moved sides' first revisions always get the line, so the file says what it follows.
 */
function needParentLine(revisions: readonly PlanRevision[], intended: Map<string, string[]>, final: (id: string) => string, roots: Set<string>): string[] {
  const sorted = [...revisions].sort((a, b) => compareIds(final(a.id), final(b.id)));
  const out: string[] = [];
  sorted.forEach((r, i) => {
    const want = intended.get(r.id)!.map(final);
    const read = r.explicitParents ? [...r.parents] : i === 0 ? [] : [final(sorted[i - 1].id)];
    if (roots.has(r.id) || !sameList(want, read)) out.push(r.id);
  });
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface MergeFiles {
  revision: string;
  slug: string;
  parents: string[];
  up: { name: string; text: string };
  down: { name: string; text: string };
}

/** A merge revision whose parents are all the heads (in the given order), with empty up and down. */
export function planMerge(ids: readonly string[], heads: readonly string[], now: Date): MergeFiles {
  const revision = nextRevisionId(ids, now);
  const slug = `merge_${heads.join('_')}`;
  return {
    revision,
    slug,
    parents: [...heads],
    up: { name: fileName(revision, slug, 'up'), text: `-- fmig:parent ${heads.join(' ')}\n` },
    down: { name: fileName(revision, slug, 'down'), text: '' },
  };
}

const PARENT_LINE = /^[ \t]*--[ \t]*fmig:(parents?|root)(?=[ \t,]|$)/;

/**
 * Sets a file's `-- fmig:parent` line to `parents` (`-- fmig:root` when there are none), touching
 * nothing else: the first parent or root line in the header is replaced (any further ones
 * removed, as they would add parents or contradict it), or a new line goes at the top (after a
 * BOM), with the file's own line ending.
 */
export function setParentLine(text: string, parents: readonly string[]): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const eol = /\r\n/.test(body) ? '\r\n' : /\r/.test(body) && !/\n/.test(body) ? '\r' : '\n';
  const directive = parents.length ? `-- fmig:parent ${parents.join(' ')}` : '-- fmig:root';
  const lines = splitLines(body);
  let found = -1;
  const drop: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i].content.trim();
    if (content === '') continue;
    if (!content.startsWith('--')) break;
    if (!PARENT_LINE.test(lines[i].content)) continue;
    if (found === -1) found = i;
    else drop.push(i);
  }
  if (found === -1) return bom + directive + eol + body;
  return (
    bom +
    lines
      .map((l, i) => (i === found ? directive + l.end : drop.includes(i) ? '' : l.content + l.end))
      .join('')
  );
}

function splitLines(text: string): { content: string; end: string }[] {
  const out: { content: string; end: string }[] = [];
  const re = /\r\n|\r|\n/g;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ content: text.slice(pos, m.index), end: m[0] });
    pos = m.index + m[0].length;
  }
  if (pos < text.length || out.length === 0) out.push({ content: text.slice(pos), end: '' });
  return out;
}

const MARKER = /^(<{7}|>{7}|\|{7})(?: |$)/m;

/** The file holds a git conflict marker (`<<<<<<<`, `|||||||`, `>>>>>>>` at a line start). */
export function hasConflictMarkers(text: string): boolean {
  return MARKER.test(text);
}
