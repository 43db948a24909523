/**
 * What one run of a fan-out came to, and how it reads: a line as it finishes, a table at the
 * end, an object in `--json`. Pure: the results of the commands in, text and data out.
 */

export interface Outcome {
  target: string | null;
  schema: string | null;
  folder: string | null;
  label: string;
  /** The database, password masked; null when the run never got one (its target's schemas could not be listed). */
  database: string | null;
  state: 'ok' | 'failed' | 'not run';
  exitCode: number;
  ms: number;
  /** One line saying what happened: `applied 3 (000001_a … 000003_c)`, `up to date`, the error's gist. */
  summary: string;
  /** The command's `--json` result for this run. */
  result?: unknown;
  /** The error as `--json` shows errors, for a failed run. */
  error?: Record<string, unknown>;
  /** The error's whole text, for the summary at the end. */
  errorText?: string;
  /** What the command printed, where it is shown under the run's line. */
  lines?: string[];
}

type Named = { revision: string; slug?: string };
const name = (r: Named) => (r.slug ? `${r.revision}_${r.slug}` : r.revision);
const span = (rs: Named[]) => (rs.length === 1 ? name(rs[0]) : `${name(rs[0])} … ${name(rs[rs.length - 1])}`);

/** What a command's result says in one line. */
export function summarise(command: string, result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  if (command === 'up') {
    if (r.dryRun) {
      const plan = (r.plan ?? []) as Named[];
      return plan.length ? `would apply ${plan.length} (${span(plan)})` : 'up to date';
    }
    const applied = (r.applied ?? []) as Named[];
    return applied.length ? `applied ${applied.length} (${span(applied)})` : 'up to date';
  }
  if (command === 'down') {
    const list = (r.dryRun ? r.plan : r.reverted) as Named[] | undefined;
    if (!list?.length) return 'nothing to revert';
    return `${r.dryRun ? 'would revert' : 'reverted'} ${list.length} (${span(list)})`;
  }
  if (command === 'status') {
    if (Array.isArray(r.problems)) return `the folder has ${r.problems.length} problem(s): ${(r.problems[0] as { message: string }).message}`;
    const parts = [`${(r.applied as unknown[]).length} applied`, `${(r.pending as unknown[]).length} pending`];
    if ((r.drift as unknown[]).length) parts.push(`${(r.drift as unknown[]).length} drifted (${(r.drift as { kind: string }[]).map((d) => d.kind).join(', ')})`);
    if ((r.invalidIndexes as unknown[])?.length) parts.push(`${(r.invalidIndexes as unknown[]).length} invalid index(es)`);
    return parts.join(', ');
  }
  if (command === 'verify') {
    const findings = (r.findings ?? []) as { message: string; file: string }[];
    if (findings.length) return `${findings.length} finding(s): ${findings[0].file} ${findings[0].message}`;
    // verify's own result has `skipped`; the ledger check of a run over targets does not.
    return 'skipped' in r ? 'no findings' : 'the ledger agrees with the folder';
  }
  return 'done';
}

/** The gist of an error's text, on one line: a failed revision's name with what the server said. */
export function gist(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length > 1 && / failed$/.test(lines[0])) {
    const said = lines.find((l) => /\b(ERROR|FATAL)\b|error:/.test(l)) ?? lines[1];
    return `${lines[0]}: ${said}`;
  }
  return lines[0] ?? '';
}

/** The line printed as a run finishes. */
export function outcomeLine(o: Outcome, width: number): string {
  const mark = o.state === 'ok' ? 'ok' : o.state === 'failed' ? 'FAILED' : 'not run';
  return `${mark.padEnd(7)} ${o.label.padEnd(width)}  ${o.summary}${o.state === 'not run' ? '' : ` (${fmtMs(o.ms)})`}`;
}

/** The summary at the end: runs per target, then every failed run with its error. */
export function summaryLines(outcomes: Outcome[], wall: number): string[] {
  // By target; without targets (a glob dir on the configured database), by folder.
  const group = (o: Outcome) => o.target ?? o.folder ?? 'database';
  const targets = [...new Set(outcomes.map(group))];
  const rows = targets.map((t) => {
    const of = outcomes.filter((o) => group(o) === t);
    const n = (s: Outcome['state']) => of.filter((o) => o.state === s).length;
    return [t, String(of.filter((o) => o.state !== 'not run').length), String(n('ok')), String(n('failed')), String(n('not run'))];
  });
  const head = [outcomes.some((o) => o.target !== null) ? 'target' : 'folder', 'runs', 'ok', 'failed', 'not run'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const failed = outcomes.filter((o) => o.state === 'failed');
  const notRun = outcomes.filter((o) => o.state === 'not run').length;
  const lines = ['', fmt(head), ...rows.map(fmt)];
  lines.push(
    '',
    `${outcomes.length - notRun} run(s) in ${fmtMs(wall)}: ${outcomes.length - notRun - failed.length} ok, ${failed.length} failed${notRun ? `, ${notRun} not run` : ''}`,
  );
  if (failed.length) {
    lines.push('', 'failed:');
    for (const o of failed) {
      lines.push(`  ${o.label}${o.database ? ` (${o.database})` : ''}: exit ${o.exitCode}`);
      for (const l of (o.errorText ?? o.summary).split('\n')) lines.push(`    ${l}`);
    }
  }
  return lines;
}

/** The worst exit code: the highest (3 unreachable over 2 bad input over 1 wrong state over 0). */
export function worst(codes: number[]): number {
  return codes.reduce((a, b) => Math.max(a, b), 0);
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
