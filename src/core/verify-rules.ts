/**
 * The checks of `fmig verify`, on plain data read from git and the folder: what is published,
 * what was edited, deleted or renamed, what is out of order, what diverges. Codes: findings.ts.
 */
import type { Drift } from './drift.js';
import type { FileProblem } from './errors.js';
import type { Finding } from './findings.js';
import type { Folder, Revision } from './folder.js';
import { compareIds, fileName, isAllDigits, parseFileName } from './names.js';

/** File name inside the folder → git blob id. */
export type Blobs = ReadonlyMap<string, string>;

export interface PublishedInput {
  /** The folder on the main ref. */
  main: Blobs;
  /** The folder at the merge-base with main; null when unknown (then all of main counts). */
  fork: Blobs | null;
  /** The folder here: working tree or index. */
  here: Blobs;
}

export interface PublishedState {
  /** Names on main that this checkout is expected to have. */
  published: Set<string>;
  /** Names main gained since this branch forked, absent here. */
  gained: string[];
  /** Published names whose blob differs here from main's (and from the fork's): edited. */
  changed: string[];
  /** Published names absent here, with the name they were renamed to when that can be told. */
  missing: { name: string; renamedTo?: string }[];
}

/** Compares the folder here with main's (and the fork's) by blob id. */
export function publishedState({ main, fork, here }: PublishedInput): PublishedState {
  const published = new Set<string>();
  const gained: string[] = [];
  const changed: string[] = [];
  const missing: PublishedState['missing'] = [];
  const newHere = [...here.keys()].filter((n) => !main.has(n));
  for (const [name, blob] of main) {
    const atFork = fork ? fork.get(name) : blob;
    const mine = here.get(name);
    if (mine === undefined) {
      if (atFork === undefined) gained.push(name);
      else missing.push({ name, renamedTo: renamedTo(name, blob, newHere, here) });
      continue;
    }
    published.add(name);
    if (mine !== blob && mine !== atFork) changed.push(name);
  }
  return { published, gained: gained.sort(), changed: changed.sort(), missing: missing.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

function renamedTo(name: string, blob: string, candidates: string[], here: Blobs): string | undefined {
  const p = parseFileName(name);
  return (
    candidates.find((c) => here.get(c) === blob) ??
    (p ? candidates.find((c) => {
      const q = parseFileName(c);
      return q !== null && q.direction === p.direction && (q.revision === p.revision || q.slug === p.slug);
    }) : undefined)
  );
}

/** Findings for published files edited or missing here. */
export function publishedFindings(state: PublishedState, dir: string, mainRef: string, lineEndingsOnly: ReadonlySet<string> = new Set()): Finding[] {
  const out: Finding[] = [];
  for (const name of state.changed) {
    out.push({
      code: 'published-edited',
      severity: 'error',
      file: join(dir, name),
      message: lineEndingsOnly.has(name)
        ? `published on ${mainRef} and changed since, in its line endings only (its checksum is the same, so databases still accept it)`
        : `published on ${mainRef} and edited since; a database that applied it will refuse to run`,
      fix: lineEndingsOnly.has(name)
        ? `restore it (git checkout ${mainRef} -- ${join(dir, name)}); published files stay byte for byte as merged`
        : `restore it (git checkout ${mainRef} -- ${join(dir, name)}) and put the change in a new revision (fmig new <slug>)`,
    });
  }
  for (const { name, renamedTo } of state.missing) {
    out.push(
      renamedTo
        ? {
            code: 'published-renamed',
            severity: 'error',
            file: join(dir, name),
            message: `published on ${mainRef} and renamed to ${renamedTo}; the ledger knows it by its old name`,
            fix: `rename it back (git mv ${join(dir, renamedTo)} ${join(dir, name)})`,
          }
        : {
            code: 'published-deleted',
            severity: 'error',
            file: join(dir, name),
            message: `published on ${mainRef} and deleted here; databases that applied it can no longer be checked or reverted`,
            fix: `restore it (git checkout ${mainRef} -- ${join(dir, name)}); to undo its change, write a new revision`,
          },
    );
  }
  return out;
}

const FOLDER_FIX: Record<string, string> = {
  'bad-name': 'rename it to <revision>_<slug>.up.sql or <revision>_<slug>.down.sql, or move it out of the folder',
  'duplicate-id': 'give one of the revisions a new id (fmig new writes the next free one)',
  'down-without-up': 'add the up file or delete the down file',
  'unknown-directive': 'fix the directive: -- fmig:parent <rev>, -- fmig:root or -- fmig:no-transaction',
  'parent-in-down': 'move the -- fmig:parent or -- fmig:root line to the up file',
  'bad-directive': 'fix the directive: -- fmig:parent <rev> [<rev> ...], -- fmig:root (alone) or -- fmig:no-transaction',
  'not-utf8': 'save the file as UTF-8',
  'unknown-parent': 'name an existing revision in -- fmig:parent (fmig heads lists the heads)',
  cycle: 'break the cycle: a revision cannot follow its own descendants',
};

/** The folder's parse problems as findings, one per problem, on its first file. */
export function folderFindings(problems: readonly FileProblem[], dir: string, merged?: string): Finding[] {
  return problems.map((p) => ({
    code: merged ? 'merge-invalid' : p.code,
    severity: 'error' as const,
    file: join(dir, p.files[0]),
    message: merged ? `after a merge with ${merged}: ${p.message} (${p.code})` : stripName(p.message, p.files[0]),
    fix: FOLDER_FIX[p.code] ?? 'fix the file',
  }));
}

function stripName(message: string, name: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/**
 * One finding per head when the graph has more than one. After a predicted merge, `sides` tells
 * this branch's files (`ours`) and the published ones: the fix is never to edit a revision
 * that came with the other side or is published (the hook would block it).
 */
export function headFindings(folder: Folder, dir: string, merged?: string, sides?: { ours: ReadonlySet<string>; published: ReadonlySet<string> }): Finding[] {
  const heads = folder.graph.heads();
  if (heads.length <= 1) return [];
  return heads.map((id) => {
    const r = folder.byId.get(id)!;
    const others = heads.filter((h) => h !== id).join(', ');
    return {
      code: merged ? 'merge-divergent-heads' : 'divergent-heads',
      severity: 'error' as const,
      file: join(dir, r.up.name),
      message: `${merged ? `after a merge with ${merged}, ` : ''}revision ${id} is one of ${heads.length} heads (also ${others}); up and new need one`,
      fix: merged ? mergedHeadFix(folder, heads, id, merged, sides) : 'run fmig resolve (or fmig resolve --merge when both sides are applied somewhere)',
    };
  });
}

/** The fix for one head of a predicted merge: move this branch's own revisions, never the other side's or published ones. */
function mergedHeadFix(folder: Folder, heads: string[], id: string, ref: string, sides?: { ours: ReadonlySet<string>; published: ReadonlySet<string> }): string {
  const others = heads.filter((h) => h !== id);
  const resolve = 'after the merge, run fmig resolve (or fmig resolve --merge when both sides are applied somewhere)';
  if (!sides) return resolve;
  const line = (h: string) => new Set([...folder.graph.ancestors(h), h]);
  const elsewhere = new Set(others.flatMap((o) => [...line(o)]));
  // The revisions only this head's line has, in order: the first is where the line left the others.
  const own = folder.graph.order().filter((x) => line(id).has(x) && !elsewhere.has(x));
  const file = (x: string) => folder.byId.get(x)!.up.name;
  if (!own.length || !own.every((x) => sides.ours.has(file(x)))) {
    return `${id} comes with ${ref}: leave it as it is; ${resolve}`;
  }
  if (own.some((x) => sides.published.has(file(x)))) return `${id}'s line is published: after the merge, run fmig resolve --merge`;
  return `merge ${ref} into this branch and run fmig resolve, which moves this branch's ${own[0]} after ${others.join(' ')} (or rebase this branch onto ${ref} and give ${own[0]} the line -- fmig:parent ${others.join(' ')})`;
}

/**
 * New revisions that sort before a published one: they would change a published revision's
 * implicit parent, or silently take one of their own, the way golang-migrate reorders.
 */
export function outOfOrderFindings(folder: Folder, published: ReadonlySet<string>, dir: string, merged?: string): Finding[] {
  const isPub = (r: Revision) => published.has(r.up.name);
  const pub = folder.revisions.filter(isPub);
  if (!pub.length) return [];
  const last = pub[pub.length - 1];
  // Main's heads from the parents the published revisions have on main, before any new one slips in.
  const hasChild = new Set(pub.flatMap((r, i) => (r.explicitParents ? r.parents : i > 0 ? [pub[i - 1].id] : [])));
  const heads = pub.filter((r) => !hasChild.has(r.id)).map((r) => r.id);
  const out: Finding[] = [];
  folder.revisions.forEach((r, i) => {
    if (isPub(r) || compareIds(r.id, last.id) >= 0) return;
    const next = folder.revisions[i + 1];
    const shifts = next && isPub(next) && !next.explicitParents;
    if (!shifts && r.explicitParents) return;
    const rename = `rename it to an id after ${last.id}${suggestId(last.id) ? ` (${fileName(suggestId(last.id)!, r.slug, 'up')} and its down file)` : ''}`;
    out.push({
      code: merged ? 'merge-out-of-order' : 'out-of-order',
      severity: 'error',
      file: join(dir, r.up.name),
      message:
        (merged ? `after a merge with ${merged}, ` : '') +
        (shifts
          ? `new revision ${r.id} sorts before published revision ${next.id}, which has no parent directive: ${next.id} would follow ${r.id} instead of ${folder.revisions[i - 1]?.id ?? 'nothing'}`
          : `new revision ${r.id} has no parent directive and sorts before published revision ${last.id}: it would follow ${folder.revisions[i - 1]?.id ?? 'nothing'} instead of main's head ${heads.join(', ')}`),
      fix: shifts ? `${rename}, with -- fmig:parent ${heads.join(' ')}` : `${rename}, or add -- fmig:parent ${heads.join(' ')} as its first line`,
    });
  });
  return out;
}

/** The next id after `id` when ids are sequence numbers, same width; null otherwise. */
function suggestId(id: string): string | null {
  if (!isAllDigits(id) || id.length >= 14) return null;
  return (BigInt(id) + 1n).toString().padStart(id.length, '0');
}

/** A warning for each revision file with CRLF line endings, with the `.gitattributes` line that prevents it. */
export function crlfFindings(folder: Folder, dir: string, attrDir: string): Finding[] {
  const attr = `${attrDir ? `${attrDir}/` : ''}*.sql text eol=lf`;
  return folder.revisions
    .flatMap((r) => (r.down ? [r.up, r.down] : [r.up]))
    .filter((f) => f.crlf)
    .map((f) => ({
      code: 'crlf',
      severity: 'warning' as const,
      file: join(dir, f.name),
      message: 'has CRLF line endings (checksums ignore them, but diffs and reviews do not)',
      fix: `add \`${attr}\` to .gitattributes and run git add --renormalize ${dir || '.'}`,
    }));
}

export interface MainMoved {
  mainRef: string;
  /** Revision ids main gained since the fork, absent here. */
  gained: string[];
  /** Revisions new on this branch (not on main), by id. */
  added: Revision[];
  /** Heads of the folder after merging main's gained files in, or the problems such a merge would have. */
  mergedHeads: string[] | null;
  mergedProblems: string[];
}

/** A warning when main gained revisions since the fork and this branch adds its own: a divergence waiting for the merge. */
export function mainMovedFindings(m: MainMoved, dir: string): Finding[] {
  if (!m.gained.length || !m.added.length) return [];
  const first = m.added[0];
  const outcome = m.mergedProblems.length
    ? `merging it would break the folder: ${m.mergedProblems.join('; ')}`
    : m.mergedHeads && m.mergedHeads.length > 1
      ? `after merging it the folder has ${m.mergedHeads.length} heads (${m.mergedHeads.join(', ')}): ${first.id} no longer descends from main's head`
      : `merging it puts ${m.gained.join(', ')} before this branch's ${m.added.map((r) => r.id).join(', ')}`;
  return [
    {
      code: 'main-moved',
      severity: 'warning',
      file: join(dir, first.up.name),
      message: `${m.mainRef} gained ${plural(m.gained.length, 'revision')} ${m.gained.join(', ')} since this branch forked; ${outcome}`,
      fix: `merge ${m.mainRef} into this branch and run fmig resolve (or rebase onto it and set -- fmig:parent to its head)`,
    },
  ];
}

/** `--db`: the ledger's disagreements with the folder as findings. */
export function driftFindings(drift: readonly Drift[], dir: string): Finding[] {
  const FIX: Record<string, string> = {
    edited: 'restore the file as it was applied; after a reviewed edit, fmig repair --yes records the new checksum',
    'down-edited': 'restore the down file, or record it with fmig repair --yes',
    missing: 'restore the revision files (from git), or drop the row with fmig repair --prune --yes',
    'parents-changed': 'restore the parent directive as it was applied, or record it with fmig repair --yes',
    failed: 'fmig up --resume to finish it, or fmig repair after fixing the database by hand',
    reverting: 'fmig down --resume to finish the revert',
  };
  return drift.map((d) => ({
    code: `db-${d.kind}`,
    severity: 'error' as const,
    file: join(dir, d.file ?? `${d.revision}_*`),
    message: d.message,
    fix: FIX[d.kind],
  }));
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function join(dir: string, name: string): string {
  return dir && dir !== '.' ? `${dir}/${name}` : name;
}
