/** What `fmig wait` waits for: which wanted revisions the ledger lacks, and how long to sleep between looks. */
import type { LedgerEntry } from './drift.js';

export interface Readiness {
  /** Wanted revisions the ledger has no row for. */
  missing: string[];
  /** Wanted revisions whose row has no `finished_at` (running now, or stopped part-way). */
  unfinished: string[];
}

/** Compares the wanted revisions with the ledger rows; ready when both lists are empty. */
export function readiness(wanted: readonly string[], rows: readonly Pick<LedgerEntry, 'revision' | 'finished_at'>[]): Readiness {
  const byId = new Map(rows.map((r) => [r.revision, r]));
  const missing: string[] = [];
  const unfinished: string[] = [];
  for (const id of wanted) {
    const row = byId.get(id);
    if (!row) missing.push(id);
    else if (row.finished_at === null) unfinished.push(id);
  }
  return { missing, unfinished };
}

/** The first pause between looks, and the longest: a gate polled by many containers must not hammer the server. */
export const FIRST_PAUSE_MS = 100;
export const LONGEST_PAUSE_MS = 3000;

/** The pause after one of `previous` ms: half as long again, up to LONGEST_PAUSE_MS. */
export function nextPause(previous: number): number {
  return Math.min(LONGEST_PAUSE_MS, Math.max(FIRST_PAUSE_MS, Math.round(previous * 1.5)));
}
