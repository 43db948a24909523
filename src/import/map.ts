/**
 * The pure core of `fmig import`: another tool's migrations, in that tool's order, become fmig
 * revision files. Bodies are copied as they are; only `-- fmig:` directive lines are put at
 * the top, and only where fmig's own rules would not give the tool's order by themselves.
 */
import { compareIds, fileName } from '../core/names.js';
import type { Skipped, ToolFolder, ToolRevision } from './types.js';

export interface PlannedFile {
  /** The file's name inside fmig's folder. */
  name: string;
  text: string;
}

/** How one of their migrations maps to an fmig revision. */
export interface MappingEntry {
  source: string;
  id: string;
  slug: string;
  parents: string[];
  /** The directive lines written in the up and the down file. */
  upDirectives: string[];
  downDirectives: string[];
  irreversible: boolean;
  notes: string[];
}

export interface ImportPlan {
  files: PlannedFile[];
  mapping: MappingEntry[];
  skipped: Skipped[];
  /** More than one revision without a parent: the folder needs `-- fmig:root`. */
  roots: string[];
}

/** A folder that cannot be mapped (bad or duplicate ids, unknown parents): every problem, one a line. */
export class MappingError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

const ID = /^[0-9A-Za-z]+$/;

/**
 * Maps a tool's folder to fmig's files. With `explicitParents` every revision that has a
 * parent names it (Alembic's random ids say nothing about order); otherwise a parent directive
 * is written only where fmig's id order would give another parent. Throws MappingError.
 */
export function planImport(folder: ToolFolder, opts: { explicitParents?: boolean } = {}): ImportPlan {
  const revs = folder.revisions;
  checkIds(revs);
  const parentsOf = new Map<string, string[]>();
  revs.forEach((r, i) => parentsOf.set(r.id, r.parents ?? (i === 0 ? [] : [revs[i - 1].id])));
  const byIdOrder = [...revs].sort((a, b) => compareIds(a.id, b.id));
  const implicit = new Map<string, string[]>(byIdOrder.map((r, i) => [r.id, i === 0 ? [] : [byIdOrder[i - 1].id]]));

  const files: PlannedFile[] = [];
  const mapping: MappingEntry[] = [];
  const roots: string[] = [];
  for (const r of revs) {
    const parents = parentsOf.get(r.id)!;
    const upDirectives: string[] = [];
    if (parents.length === 0) {
      roots.push(r.id);
      if (implicit.get(r.id)!.length) upDirectives.push('-- fmig:root');
    } else if (opts.explicitParents || !sameList(parents, implicit.get(r.id)!)) {
      upDirectives.push(`-- fmig:parent ${parents.join(' ')}`);
    }
    if (r.up.noTransaction) upDirectives.push('-- fmig:no-transaction');
    const downDirectives = r.down?.noTransaction ? ['-- fmig:no-transaction'] : [];
    files.push({ name: fileName(r.id, r.slug, 'up'), text: withDirectives(upDirectives, r.up.text) });
    if (r.down) files.push({ name: fileName(r.id, r.slug, 'down'), text: withDirectives(downDirectives, r.down.text) });
    mapping.push({ source: r.source, id: r.id, slug: r.slug, parents, upDirectives, downDirectives, irreversible: !r.down, notes: r.notes });
  }
  return { files, mapping, skipped: folder.skipped, roots };
}

function checkIds(revs: readonly ToolRevision[]): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const r of revs) {
    if (!ID.test(r.id)) problems.push(`${r.source}: "${r.id}" cannot be an fmig revision id (letters and digits only)`);
    const other = seen.get(r.id);
    if (other !== undefined) problems.push(`${r.source} and ${other} would both become revision ${r.id}`);
    seen.set(r.id, r.source);
    if (/[/\\\0]/.test(r.slug)) problems.push(`${r.source}: the name "${r.slug}" cannot be part of a file name`);
  }
  for (const r of revs) {
    for (const p of r.parents ?? []) if (!seen.has(p)) problems.push(`${r.source}: its parent ${p} is not in the folder`);
  }
  if (problems.length) throw new MappingError(problems);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The body with directive lines before it (after a leading BOM, which must stay first). */
export function withDirectives(directives: readonly string[], body: string): string {
  if (!directives.length) return body;
  const bom = body.startsWith('\uFEFF') ? '\uFEFF' : '';
  return `${bom}${directives.join('\n')}\n${body.slice(bom.length)}`;
}

/** A name made fit for a file name's slug: path separators and control characters become `_`. */
export function slugOf(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[/\\\x00-\x1f]/g, '_');
}

/** The mapping as lines for a person: their name → fmig id, parents, directives, notes. */
export function describePlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  for (const m of plan.mapping) {
    const parents = m.parents.length ? `after ${m.parents.join(', ')}` : 'a root';
    const extra = [
      ...m.upDirectives.map((d) => `up: ${d}`),
      ...m.downDirectives.map((d) => `down: ${d}`),
      ...(m.irreversible ? ['no down: irreversible'] : []),
      ...m.notes,
    ];
    lines.push(`${m.source} → ${m.id}_${m.slug} (${parents})${extra.length ? `; ${extra.join('; ')}` : ''}`);
  }
  for (const s of plan.skipped) lines.push(`${s.source}: not imported: ${s.reason}`);
  return lines;
}
