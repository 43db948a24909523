/** How the ledger and the folder disagree (SPEC sections 4 and 6: `status`, `up`'s refusal, `verify --db`). */
import type { Folder } from './folder.js';

export interface LedgerEntry {
  revision: string;
  parents: readonly string[];
  up_checksum: string;
  down_checksum: string | null;
  finished_at: Date | string | null;
  statements_done: number | null;
  error: string | null;
}

export type DriftKind = 'edited' | 'down-edited' | 'missing' | 'parents-changed' | 'failed' | 'reverting';

export interface Drift {
  kind: DriftKind;
  revision: string;
  /** The file involved, where there is one. */
  file?: string;
  message: string;
}

export interface Comparison {
  /** Applied (finished) revisions, in the order they were applied. */
  applied: string[];
  /** Revisions in the folder not yet applied, in application order. */
  pending: string[];
  drift: Drift[];
}

/** How the `error` of an applied revision's row starts while its down file runs statement by statement, or after it stopped part-way. */
export const REVERTING = 'reverting:';

/** Whether an applied revision's row records a down file that ran part-way. */
export function isReverting(row: Pick<LedgerEntry, 'finished_at' | 'error'>): boolean {
  return row.finished_at !== null && !!row.error && row.error.startsWith(REVERTING);
}

/** Compares the folder with the ledger rows (given in the order they were applied). */
export function compare(folder: Folder, rows: readonly LedgerEntry[]): Comparison {
  const drift: Drift[] = [];
  const applied: string[] = [];
  const inLedger = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    inLedger.add(row.revision);
    const rev = folder.byId.get(row.revision);
    if (row.finished_at === null) {
      drift.push({
        kind: 'failed',
        revision: row.revision,
        file: rev?.up.name,
        message: `${row.revision} stopped part-way after ${row.statements_done ?? 0} statement(s)${row.error ? `: ${firstLine(row.error)}` : ''}`,
      });
      continue;
    }
    applied.push(row.revision);
    if (isReverting(row)) {
      drift.push({
        kind: 'reverting',
        revision: row.revision,
        file: rev?.down?.name,
        message: `${row.revision}: ${firstLine(row.error!).slice(REVERTING.length).trim()}`,
      });
    }
    if (!rev) {
      drift.push({ kind: 'missing', revision: row.revision, message: `${row.revision} is applied but its files are not in the folder` });
      continue;
    }
    if (rev.up.checksum !== row.up_checksum) {
      drift.push({ kind: 'edited', revision: row.revision, file: rev.up.name, message: `${rev.up.name} was edited after it was applied (ledger ${row.up_checksum}, file ${rev.up.checksum})` });
    }
    // A down file listed and not read (see readDowns) is neither edited nor unchanged: unknown.
    const downNow = rev.down?.checksum ?? null;
    if (!folder.unreadDowns.has(rev.id) && downNow !== row.down_checksum) {
      const what = downNow === null ? 'was deleted' : row.down_checksum === null ? 'was added' : 'was edited';
      drift.push({ kind: 'down-edited', revision: row.revision, file: rev.down?.name ?? rev.up.name.replace(/\.up\.sql$/, '.down.sql'), message: `the down file of ${row.revision} ${what} after it was applied` });
    }
    if (!sameSet(rev.parents, row.parents)) {
      drift.push({
        kind: 'parents-changed',
        revision: row.revision,
        file: rev.up.name,
        message: `${row.revision} was applied with parents [${row.parents.join(', ')}] and now has [${rev.parents.join(', ')}]`,
      });
    }
  }
  const pending = folder.graph.order().filter((id) => !inLedger.has(id));
  return { applied, pending, drift };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 1) return a[0] === b[0];
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}
