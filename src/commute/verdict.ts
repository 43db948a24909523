/**
 * The proof for overlapping sides: both orders replayed from main's head, their outcomes
 * compared. Same schema; the same except the order of columns; different (with the first
 * difference); or one order failed (with the failing statement). Pure.
 */
import { diffSnapshots, type Snapshot } from '../core/snapshot-diff.js';

/** What replaying one order gave: a schema, or the revision that failed and the failure as fmig reports it. */
export type Outcome = { snapshot: Snapshot } | { failed: string; report: string };

export type Verdict =
  | { kind: 'same' }
  | { kind: 'column-order'; tables: { table: string; ab: string[]; ba: string[] }[] }
  | { kind: 'different'; difference: string[] }
  | { kind: 'fails'; ab: Outcome; ba: Outcome };

/** At most this many lines of a difference are shown. */
const SHOWN = 12;

/** Compares the outcomes of applying side A then B (`ab`) and B then A (`ba`). */
export function judge(ab: Outcome, ba: Outcome): Verdict {
  if (!('snapshot' in ab) || !('snapshot' in ba)) return { kind: 'fails', ab, ba };
  const difference = diffSnapshots(ab.snapshot, ba.snapshot);
  if (!difference.length) return { kind: 'same' };
  if (!diffSnapshots(columnsSorted(ab.snapshot), columnsSorted(ba.snapshot)).length) {
    const tables: { table: string; ab: string[]; ba: string[] }[] = [];
    const other = new Map(ba.snapshot.tables.map((t) => [`${t.schema}.${t.name}`, t]));
    for (const t of ab.snapshot.tables) {
      const u = other.get(`${t.schema}.${t.name}`);
      const x = t.columns.map((c) => c.name);
      const y = u?.columns.map((c) => c.name) ?? [];
      if (x.join() !== y.join()) tables.push({ table: `${t.schema}.${t.name}`, ab: x, ba: y });
    }
    return { kind: 'column-order', tables };
  }
  return { kind: 'different', difference: first(difference) };
}

/** The first changed block of a difference, cut to a few lines. */
function first(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    // A block's lines are indented under its header; an unindented one starts the next block.
    if (out.length && l[2] !== ' ') break;
    out.push(l);
  }
  return out.length > SHOWN ? [...out.slice(0, SHOWN), `... (${out.length - SHOWN} more line(s))`] : out;
}

function columnsSorted(s: Snapshot): Snapshot {
  return { ...s, tables: s.tables.map((t) => ({ ...t, columns: [...t.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) })) };
}
