/**
 * What `fmig verify` reports (SPEC section 7): findings with stable codes, one per line.
 *
 * | code                  | severity | meaning                                                                      |
 * | --------------------- | -------- | ---------------------------------------------------------------------------- |
 * | bad-name              | error    | a `*.sql` file whose name is not `<revision>_<slug>.up.sql` / `.down.sql`     |
 * | duplicate-id          | error    | two pairs of files claim the same revision id                                |
 * | down-without-up       | error    | a down file without its up file                                              |
 * | unknown-directive     | error    | an unknown `-- fmig:` directive                                              |
 * | parent-in-down        | error    | `-- fmig:parent` or `-- fmig:root` in a down file                            |
 * | bad-directive         | error    | a malformed `-- fmig:` directive                                             |
 * | not-utf8              | error    | a revision file that is not valid UTF-8                                      |
 * | unknown-parent        | error    | a parent directive names a revision that is not in the folder                |
 * | cycle                 | error    | revisions whose parents form a cycle                                         |
 * | divergent-heads       | error    | the revision graph has more than one head                                    |
 * | published-edited      | error    | a revision on the main ref was changed here (working tree or index)          |
 * | published-deleted     | error    | a revision on the main ref was deleted here                                  |
 * | published-renamed     | error    | a revision on the main ref was renamed here                                  |
 * | out-of-order          | error    | a new revision sorts before a published one and would change its parents     |
 * | unmerged              | error    | a revision file has unresolved merge conflicts in the index                  |
 * | main-moved            | warning  | main gained revisions since this branch forked (a divergence waiting to merge)|
 * | crlf                  | warning  | a revision file has CRLF line endings                                        |
 * | merge-conflict        | error    | `--against`: the merge would conflict in a revision file                     |
 * | merge-divergent-heads | error    | `--against`: the merged folder would have more than one head                 |
 * | merge-invalid         | error    | `--against`: the merged folder would not parse                               |
 * | merge-out-of-order    | error    | `--against`: in the merged folder a new revision reorders a published one    |
 * | db-edited             | error    | `--db`: an applied up file no longer matches its ledger checksum             |
 * | db-down-edited        | error    | `--db`: an applied revision's down file changed since it was applied         |
 * | db-missing            | error    | `--db`: an applied revision has no files in the folder                       |
 * | db-parents-changed    | error    | `--db`: an applied revision's parents differ from the ledger's               |
 * | db-failed             | error    | `--db`: a revision stopped part-way and waits for `up --resume` or `repair`  |
 * | db-reverting          | error    | `--db`: a revision's down stopped part-way and waits for `down --resume`     |
 * | commutes              | info     | `--against`, resolve: divergent sides touch no object in common              |
 * | conflict-objects      | warning  | divergent sides touch the same objects; both orders replayed give one schema |
 * |                       | or error | (or differ only in column order); error when they differ or one fails        |
 *
 * Lint findings about the SQL of new revisions (`file:line:col`): see lint/codes.ts.
 */

import { wrap } from './wrap.js';

export type Severity = 'error' | 'warning' | 'info';

/** Where a file came from in git. */
export interface GitFacts {
  commit: string;
  author: string;
  /** YYYY-MM-DD */
  date: string;
  /** The branch or merge that brought the commit in, when known. */
  via?: string;
}

export interface Finding {
  code: string;
  severity: Severity;
  /** Path relative to the project root. */
  file: string;
  message: string;
  fix: string;
  git?: GitFacts;
  /** Lines shown under the finding (a schema difference, a failing statement). */
  detail?: string[];
  /** Lint findings: where the statement starts in the file (1-based), and its text. */
  line?: number;
  column?: number;
  statement?: string;
}

/** A lint finding a `-- fmig:lint-ignore <code> <reason>` comment silenced, shown with its reason. */
export interface Ignored {
  code: string;
  file: string;
  line: number;
  column: number;
  statement: string;
  reason: string;
}

/** A check that could not run, and why. */
export interface Skipped {
  check: string;
  reason: string;
}

/** The git facts of a finding in words: commit, author, date, and how it arrived. */
export function describeFacts(g: GitFacts): string {
  return `added in ${g.commit.slice(0, 10)} by ${g.author} on ${g.date}${g.via ? `, brought in by ${g.via}` : ''}`;
}

/** One line: `<severity> <code> <file>: <message> (<git facts>) — fix: <fix>`. */
export function formatFinding(f: Finding): string {
  // One line whatever the message holds, for grep and CI logs.
  return `${f.severity} ${f.code} ${where(f)}: ${f.message}${f.git ? ` (${describeFacts(f.git)})` : ''} — fix: ${f.fix}`.replace(/\s*\n\s*/g, ' ');
}

/** `file`, or `file:line:col` for a finding about a statement. */
export function where(f: { file: string; line?: number; column?: number }): string {
  return f.line ? `${f.file}:${f.line}:${f.column ?? 1}` : f.file;
}

/** Errors decide the exit status; with `strict`, warnings do too. */
export function failing(findings: readonly Finding[], strict: boolean): boolean {
  return findings.some((f) => f.severity === 'error' || (strict && f.severity === 'warning'));
}

/**
 * A finding for a terminal `width` columns wide: the message wrapped, then the git facts and
 * the fix each on an indented line of their own, wrapped too.
 */
export function formatFindingWrapped(f: Finding, width: number): string {
  const w = Math.max(40, width - 1);
  return [
    ...wrap(`${f.severity} ${f.code} ${where(f)}: ${f.message}`, w, '', '  '),
    ...(f.git ? wrap(describeFacts(f.git), w, '    ', '      ') : []),
    ...wrap(`fix: ${f.fix}`, w, '    ', '         '),
  ].join('\n');
}
