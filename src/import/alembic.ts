/**
 * Alembic (pure): its revision graph as `alembic history --verbose` prints it, and the SQL its
 * offline mode (`--sql`) prints, cut into one body per revision without Alembic's own
 * bookkeeping (the version table's statements and the transaction around the run).
 */
import { slugOf } from './map.js';
import type { Body, LedgerReading, ToolLedger, ToolRevision } from './types.js';

/** A revision as Alembic describes it. */
export interface AlembicRevision {
  revision: string;
  /** down_revision (several for a merge revision), plus depends_on. */
  parents: string[];
  dependsOn: string[];
  branchNames: string[];
  path: string;
  message: string;
}

/** Reads `alembic history --verbose`: one block per revision, each starting with `Rev:`. */
export function parseHistory(text: string): AlembicRevision[] {
  const out: AlembicRevision[] = [];
  let cur: AlembicRevision | null = null;
  let inDoc = false;
  for (const line of text.split(/\r?\n/)) {
    const rev = /^Rev: (\S+)/.exec(line);
    if (rev) {
      cur = { revision: rev[1], parents: [], dependsOn: [], branchNames: [], path: '', message: '' };
      out.push(cur);
      inDoc = false;
      continue;
    }
    if (!cur) continue;
    const field = /^(Parent|Merges|Branch names|Dependencies|Path|Branches into): ?(.*)$/.exec(line);
    if (field && !inDoc) {
      const [, name, value] = field;
      const items = value.split(',').map((s) => s.trim()).filter((s) => s && s !== '<base>');
      if (name === 'Parent' || name === 'Merges') cur.parents.push(...items);
      else if (name === 'Dependencies') cur.dependsOn.push(...items);
      else if (name === 'Branch names') cur.branchNames.push(...items);
      else if (name === 'Path') cur.path = value.trim();
      continue;
    }
    if (cur.path && line.trim()) {
      inDoc = true;
      if (!cur.message) cur.message = line.trim();
    }
  }
  return out;
}

/** The SQL of each revision in one run of Alembic's offline mode, by revision id. */
export interface OfflineRun {
  bodies: Map<string, Body>;
  /** The revision whose marker came last: the one running when Alembic stopped. */
  last: string | null;
}

const MARKER = /^-- Running (upgrade|downgrade) (.*?) -> (.*?)\s*$/;

/**
 * Cuts one run of `alembic upgrade|downgrade ... --sql` into revisions. Alembic prints a
 * `-- Running upgrade <parents> -> <rev>` comment before each revision's statements; what
 * comes before the first is the version table's set-up.
 */
export function splitOffline(output: string): OfflineRun {
  const lines = output.split('\n');
  const table = versionTable(output);
  const starts: { at: number; revision: string }[] = [];
  lines.forEach((line, at) => {
    const m = MARKER.exec(line);
    if (m) starts.push({ at, revision: m[1] === 'upgrade' ? m[3] : m[2] });
  });
  const bodies = new Map<string, Body>();
  starts.forEach((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].at : lines.length;
    if (!bodies.has(s.revision)) bodies.set(s.revision, cleanChunk(lines.slice(s.at + 1, end), table, i + 1 === starts.length));
  });
  return { bodies, last: starts.length ? starts[starts.length - 1].revision : null };
}

/** The version table's name as the set-up creates it (`alembic_version` unless env.py names another). */
function versionTable(output: string): string {
  return /^CREATE TABLE (?:\S+\.)?(\S+) \(/m.exec(output.split(/^-- Running /m)[0])?.[1] ?? 'alembic_version';
}

const BEGIN = 'BEGIN;';
const COMMIT = 'COMMIT;';

/**
 * One revision's lines without Alembic's bookkeeping. A revision whose statements all stand in
 * an autocommit block (Alembic ends its transaction before and opens another after) runs
 * outside a transaction in fmig; any other BEGIN/COMMIT is kept as written.
 */
function cleanChunk(chunk: string[], table: string, lastInRun: boolean): Body {
  const bookkeeping = new RegExp(`^(INSERT INTO|UPDATE|DELETE FROM|DROP TABLE) (\\S+\\.)?${escapeRe(table)}\\b.*;$`);
  let lines: string[] = [];
  for (let i = 0; i < chunk.length; i++) {
    if (bookkeeping.test(chunk[i])) {
      if (chunk[i + 1] === '') i++;
      continue;
    }
    lines.push(chunk[i]);
  }
  const nonBlank = () => lines.map((l, i) => [l, i] as const).filter(([l]) => l.trim() !== '');
  const dropAt = (...idx: number[]) => {
    const set = new Set(idx);
    lines = lines.filter((_, i) => !set.has(i));
  };
  let nb = nonBlank();
  // The end of one revision's transaction and the start of the next (transaction_per_migration).
  if (nb.length >= 2 && nb[nb.length - 2][0] === COMMIT && nb[nb.length - 1][0] === BEGIN) dropAt(nb[nb.length - 2][1], nb[nb.length - 1][1]);
  nb = nonBlank();
  // The run's own COMMIT after its last revision.
  if (lastInRun && nb.length && nb[nb.length - 1][0] === COMMIT) dropAt(nb[nb.length - 1][1]);
  nb = nonBlank();
  let noTransaction = false;
  const control = nb.filter(([l]) => l === BEGIN || l === COMMIT);
  if (nb.length >= 2 && control.length === 2 && nb[0][0] === COMMIT && nb[nb.length - 1][0] === BEGIN) {
    dropAt(nb[0][1], nb[nb.length - 1][1]);
    noTransaction = true;
  }
  return { text: tidy(lines), noTransaction };
}

/** No leading or trailing blank lines, no runs of blank lines left where lines were taken out; ends with a newline. */
function tidy(lines: string[]): string {
  const out: string[] = [];
  for (const l of lines) {
    if (l.trim() === '' && (out.length === 0 || out[out.length - 1].trim() === '')) continue;
    out.push(l);
  }
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out.length ? out.join('\n') + '\n' : '';
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Alembic's ids are kept as they are where they are valid fmig ids; others lose what is not a letter or digit. */
export function alembicId(revision: string): string {
  return revision.replace(/[^0-9A-Za-z]/g, '');
}

/** The slug: the file name after `<rev>_` (Alembic's default names), else the message, else the file name. */
export function alembicSlug(r: AlembicRevision): string {
  const base = (r.path.split(/[\\/]/).pop() ?? r.revision).replace(/\.pyc?$/, '');
  const at = base.indexOf(`${r.revision}_`);
  if (at >= 0 && base.length > at + r.revision.length + 1) return slugOf(base.slice(at + r.revision.length + 1));
  if (r.message) return slugOf(r.message.toLowerCase().replace(/[^0-9a-z]+/g, '_').replace(/^_+|_+$/g, '')) || 'revision';
  return slugOf(base);
}

/** Alembic's revisions with the SQL of both directions, as fmig revisions, in Alembic's (oldest first) order. */
export function alembicRevisions(history: AlembicRevision[], up: Map<string, Body>, down: Map<string, Body>): ToolRevision[] {
  return [...history].reverse().map((r) => {
    const notes: string[] = [];
    if (r.branchNames.length) notes.push(`Alembic branch ${r.branchNames.join(', ')}`);
    if (r.dependsOn.length) notes.push(`depends_on ${r.dependsOn.join(', ')} kept as parent(s)`);
    if (r.parents.length > 1) notes.push('merge revision');
    if (alembicId(r.revision) !== r.revision) notes.push(`Alembic id ${r.revision}`);
    return {
      source: r.path ? `${r.revision} (${r.path.split(/[\\/]/).pop()})` : r.revision,
      version: r.revision,
      id: alembicId(r.revision),
      slug: alembicSlug(r),
      parents: [...r.parents, ...r.dependsOn].map(alembicId),
      up: up.get(r.revision)!,
      down: down.get(r.revision) ?? null,
      notes,
    };
  });
}

/** `alembic_version`: one row per applied head. */
export const alembicLedger: ToolLedger = {
  table: 'alembic_version',
  query: 'select version_num from $table order by version_num',
  interpret: (rows): LedgerReading => ({ kind: 'heads', versions: rows.map((r) => String(r.version_num)) }),
  idFor: alembicId,
};
