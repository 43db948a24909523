/**
 * The judgement of two divergent sides in words: the `commutes` and `conflict-objects`
 * findings of `fmig verify --against`, and the lines `fmig resolve` prints. Pure.
 */
import type { Finding } from '../core/findings.js';
import type { Shared, StatementAt } from './overlap.js';
import type { Outcome, Verdict } from './verdict.js';

export interface Judgement {
  /** The heads, in the order "A then B" means. */
  a: { head: string; revisions: string[]; touches: string };
  b: { head: string; revisions: string[]; touches: string };
  /** The up file of B's head, relative to the project root. */
  file: string;
  shared: Shared[];
  /** Absent when nothing is shared (the sides commute). */
  verdict?: Verdict;
}

const at = (s: StatementAt) => `${s.file}:${s.line}`;
const span = (ids: string[]) => (ids.length === 1 ? ids[0] : `${ids[0]}..${ids[ids.length - 1]}`);

/** Why the order cannot matter, in one sentence. */
export function whyCommutes(j: Judgement): string {
  return `${j.a.head}'s side (${span(j.a.revisions)}) touches ${j.a.touches}; ${j.b.head}'s side (${span(j.b.revisions)}) touches ${j.b.touches}: no object in common, so the order cannot matter`;
}

/** The shared objects with the statement on each side. */
export function sharedText(j: Judgement): string {
  return j.shared.map((s) => `${s.object} (${at(s.a)} and ${at(s.b)})`).join('; ');
}

/** What replaying both orders showed, one sentence; `detail` holds the difference or the failures. */
export function proofText(j: Judgement): { text: string; detail: string[]; error: boolean } {
  const v = j.verdict!;
  const ab = `${j.a.head} then ${j.b.head}`;
  const ba = `${j.b.head} then ${j.a.head}`;
  switch (v.kind) {
    case 'same':
      return { text: "replayed in both orders from main's head, they give the same schema", detail: [], error: false };
    case 'column-order':
      return {
        text: `replayed in both orders from main's head, they give the same schema except the order of columns in ${v.tables
          .map((t) => `${t.table} (${ab}: ${t.ab.join(', ')}; ${ba}: ${t.ba.join(', ')})`)
          .join(', ')}`,
        detail: [],
        error: false,
      };
    case 'different':
      return { text: `replayed in both orders from main's head, they give different schemas; the first difference (- ${ab}, + ${ba}):`, detail: v.difference, error: true };
    case 'fails':
      return {
        text: `replayed in both orders from main's head: ${outcome(ab, v.ab)}; ${outcome(ba, v.ba)}`,
        detail: [...failure(ab, v.ab), ...failure(ba, v.ba)],
        error: true,
      };
  }
}

function outcome(order: string, o: Outcome): string {
  return 'failed' in o ? `${order} fails at ${o.failed}` : `${order} applies`;
}

function failure(order: string, o: Outcome): string[] {
  return 'failed' in o ? [`${order}:`, ...o.report.split('\n').map((l) => `  ${l}`)] : [];
}

/** verify's finding for one pair of divergent heads. */
export function commuteFinding(j: Judgement): Finding {
  if (!j.shared.length) {
    return { code: 'commutes', severity: 'info', file: j.file, message: `heads ${j.a.head} and ${j.b.head} commute: ${whyCommutes(j)}`, fix: 'nothing to do: fmig resolve may put either side first' };
  }
  const proof = proofText(j);
  const finding: Finding = {
    code: 'conflict-objects',
    severity: proof.error ? 'error' : 'warning',
    file: j.file,
    message: `heads ${j.a.head} and ${j.b.head} both touch ${sharedText(j)}; ${proof.text}`,
    fix: proof.error
      ? `decide the order: after the merge, fmig resolve --force puts ${j.b.head}'s side after ${j.a.head}'s (or fmig resolve --merge); better, make the revisions agree in both orders`
      : j.verdict!.kind === 'column-order'
        ? 'nothing to do unless something relies on column order (SELECT *, INSERT or COPY without a column list)'
        : 'nothing to do for the schema; check that the data changes do not depend on the order',
  };
  if (proof.detail.length) finding.detail = proof.detail;
  return finding;
}
